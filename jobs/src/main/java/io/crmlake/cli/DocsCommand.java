package io.crmlake.cli;

import io.crmlake.common.lake.DataDictionary;
import io.crmlake.tables.TableRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "docs",
    mixinStandardHelpOptions = true,
    description = {
      "Regenerate the data dictionary from the table declarations.",
      "Writes docs/tables.md and the table index of README.md (no Spark needed). With --check,",
      "writes nothing and exits 1 when either file is stale."
    })
final class DocsCommand implements Callable<Integer> {
  @Option(names = "--check", description = "Only check that the files are up to date.")
  boolean check;

  @Override
  public Integer call() {
    Path home = CommonOptions.home();
    Path dictionary = home.resolve("docs/tables.md");
    Path readme = home.resolve("README.md");
    String wantDictionary = DataDictionary.markdown(TableRegistry.documented());
    String wantReadme = DataDictionary.updateReadme(read(readme), TableRegistry.documented());
    boolean stale = false;
    for (var file : new Object[][] {{dictionary, wantDictionary}, {readme, wantReadme}}) {
      Path path = (Path) file[0];
      String want = (String) file[1];
      if (Files.exists(path) && read(path).equals(want)) {
        continue;
      }
      if (check) {
        System.err.println("crmlake docs: " + path + " is stale: run `bin/crmlake docs`");
        stale = true;
      } else {
        write(path, want);
        System.out.println("wrote " + path);
      }
    }
    return stale ? Main.FAILED : Main.OK;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
  }

  private static void write(Path p, String text) {
    try {
      Files.createDirectories(p.getParent());
      Files.writeString(p, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + p, e);
    }
  }
}
