package io.crmlake.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.javaparser.ParserConfiguration;
import com.github.javaparser.StaticJavaParser;
import com.github.javaparser.ast.CompilationUnit;
import com.github.javaparser.ast.body.CallableDeclaration;
import com.github.javaparser.ast.body.TypeDeclaration;
import io.crmlake.common.testing.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the main code readable as a table of contents: no method or constructor of {@code common}
 * or {@code jobs} is longer than {@link #MAX_LINES} lines, counted from its signature (annotations
 * and Javadoc aside) to its closing brace. Prints the longest methods and the largest files, the
 * figures a reviewer asks for.
 */
class MethodSizeTest {
  static final int MAX_LINES = 60;

  record Callable(String name, String file, int line, int lines) {}

  static List<Path> mainSources() throws IOException {
    List<Path> files = new ArrayList<>();
    for (String module : List.of("common", "jobs")) {
      Path root = SparkTestBase.projectDir().resolve(module).resolve("src/main/java");
      try (Stream<Path> s = Files.walk(root)) {
        s.filter(p -> p.toString().endsWith(".java")).forEach(files::add);
      }
    }
    return files;
  }

  static List<Callable> callables(List<Path> files) throws IOException {
    StaticJavaParser.getParserConfiguration()
        .setLanguageLevel(ParserConfiguration.LanguageLevel.JAVA_17);
    List<Callable> out = new ArrayList<>();
    for (Path f : files) {
      CompilationUnit cu = StaticJavaParser.parse(f);
      String rel = SparkTestBase.projectDir().relativize(f).toString();
      for (CallableDeclaration<?> c : cu.findAll(CallableDeclaration.class)) {
        String type =
            c.findAncestor(TypeDeclaration.class).map(t -> t.getNameAsString()).orElse("?");
        int begin =
            c.getModifiers().isEmpty()
                ? c.getName().getBegin().orElseThrow().line
                : c.getModifiers().get(0).getBegin().orElseThrow().line;
        int end = c.getEnd().orElseThrow().line;
        out.add(new Callable(type + "." + c.getNameAsString(), rel, begin, end - begin + 1));
      }
    }
    out.sort(Comparator.comparingInt(Callable::lines).reversed());
    return out;
  }

  @Test
  void noMethodIsLongerThanTheLimit() throws IOException {
    List<Path> files = mainSources();
    List<Callable> all = callables(files);
    assertTrue(all.size() > 500, "the main code was read: " + all.size() + " methods");
    System.out.println("longest methods of the main code (lines, signature to closing brace):");
    all.stream()
        .limit(15)
        .forEach(
            c -> System.out.printf("%5d  %s  %s:%d%n", c.lines(), c.name(), c.file(), c.line()));
    System.out.println("largest files (lines):");
    files.stream()
        .map(f -> new Callable("", f.toString(), 0, lineCount(f)))
        .sorted(Comparator.comparingInt(Callable::lines).reversed())
        .limit(5)
        .forEach(
            c ->
                System.out.printf(
                    "%5d  %s%n",
                    c.lines(), SparkTestBase.projectDir().relativize(Path.of(c.file()))));
    List<Callable> tooLong = all.stream().filter(c -> c.lines() > MAX_LINES).toList();
    assertEquals(
        List.of(),
        tooLong,
        "methods over "
            + MAX_LINES
            + " lines: split each into named steps that take and return records");
  }

  private static int lineCount(Path f) {
    try (Stream<String> lines = Files.lines(f)) {
      return (int) lines.count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
