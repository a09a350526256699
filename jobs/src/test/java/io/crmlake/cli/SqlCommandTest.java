package io.crmlake.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.cli.SqlCommand.Splitter;
import io.crmlake.cli.SqlCommand.Statement;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The statement splitter and the prompt loop of {@code sql}, without Spark. */
class SqlCommandTest {
  private static final String NL = System.lineSeparator();

  private static List<String> sqls(String text) {
    return Splitter.split(text).stream().map(Statement::sql).filter(s -> !s.isEmpty()).toList();
  }

  @Test
  void semicolonsWithinQuotesDoNotEndAStatement() {
    assertEquals(
        List.of(
            "SELECT 'a;b', \"c;d\", `e;f` FROM t",
            "SELECT 'it\\'s; fine'",
            "SELECT 'x'';'",
            "SELECT `a``;b`"),
        sqls(
            "SELECT 'a;b', \"c;d\", `e;f` FROM t; SELECT 'it\\'s; fine';SELECT 'x'';';"
                + "SELECT `a``;b`;"));
  }

  @Test
  void commentsHideSemicolonsAndQuotesAndArePassedOn() {
    List<Statement> st =
        Splitter.split(
            "-- first; it's not a statement\n"
                + "SELECT 1 -- one; still one\n"
                + ", 2;\n"
                + "/* block; with ' ; */ SELECT 3 /* nested /* ; */ ; */;\n"
                + "-- trailing comment\n");
    assertEquals(
        List.of(
            new Statement("-- first; it's not a statement", "SELECT 1 -- one; still one\n, 2"),
            new Statement("/* block; with ' ; */", "SELECT 3 /* nested /* ; */ ; */"),
            new Statement("-- trailing comment", "")),
        st);
  }

  @Test
  void multiLineStatementsAndALastOneWithoutSemicolon() {
    assertEquals(
        List.of("SELECT a,\n       b\nFROM t\nWHERE c = 'x;\ny'", "SELECT 2"),
        sqls("SELECT a,\n       b\nFROM t\nWHERE c = 'x;\ny';\n\nSELECT 2\n"));
    assertEquals(List.of("SELECT 1"), sqls("SELECT 1"));
    assertEquals(List.of(), sqls(";; ;\n-- nothing\n"));
  }

  @Test
  void commentLinesBeforeAStatementAreKeptForTheScriptOutput() {
    List<Statement> st = Splitter.split("-- Counts\n\n-- per day\nSELECT 1;\n\n-- Next\nSELECT 2;");
    assertEquals("-- Counts\n\n-- per day", st.get(0).comments());
    assertEquals("\n-- Next", st.get(1).comments(), "the blank line before it stays");
    assertEquals(2, st.size());
  }

  @Test
  void textFedInPiecesSplitsLikeTheWholeText() {
    Splitter s = new Splitter();
    assertEquals(List.of(), s.feed("SELECT 1 -"));
    assertTrue(s.pending());
    assertEquals(List.of(), s.feed("- c;\n"), "'--' across pieces starts a comment");
    assertEquals(List.of(new Statement("", "SELECT 1 -- c;\n+ 1")), s.feed("+ 1;"));
    assertFalse(s.pending());
    assertEquals(List.of(), s.feed("SELECT 'a\\"));
    assertEquals(List.of(), s.feed("';"), "an escaped quote across pieces");
    assertTrue(s.pending());
    assertEquals(List.of(new Statement("", "SELECT 'a\\';'")), s.feed("';"));
    assertEquals(List.of(), s.feed("SELECT 1 /"));
    assertEquals(List.of(), s.feed("* ; *"));
    assertEquals(List.of(new Statement("", "SELECT 1 /* ; */")), s.feed("/ ;"));
    assertEquals(List.of(), s.feed("-- only a comment\n"));
    assertFalse(s.pending(), "a comment line alone starts no statement");
    assertEquals(List.of(), s.feed("SELECT 9"));
    assertEquals(List.of(new Statement("-- only a comment", "SELECT 9")), s.finish());
  }

  /**
   * Standard input that hands out one line per read, as a terminal or a pipe does, and notes what
   * had been printed when each read began.
   */
  private static final class LineByLine extends Reader {
    final Deque<String> lines;
    final ByteArrayOutputStream printed;
    final List<String> printedAtRead = new ArrayList<>();

    LineByLine(ByteArrayOutputStream printed, String... lines) {
      this.printed = printed;
      this.lines = new ArrayDeque<>(List.of(lines));
    }

    @Override
    public int read(char[] buf, int off, int len) {
      printedAtRead.add(printed.toString(StandardCharsets.UTF_8));
      String line = lines.poll();
      if (line == null) {
        return -1;
      }
      line.getChars(0, line.length(), buf, off);
      return line.length();
    }

    @Override
    public void close() {}
  }

  @Test
  void thePromptIsPrintedBeforeEachLineIsRead() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    LineByLine stdin =
        new LineByLine(
            bytes,
            "SELECT 1;\n",
            "SELECT 'a;\n",
            "b' AS s -- c;\n",
            ";\n",
            "-- just a comment\n",
            "exit;\n",
            "SELECT 'never read';\n");
    List<String> ran = new ArrayList<>();
    int code =
        SqlCommand.interactive(
            stdin,
            out,
            true,
            sql -> {
              ran.add(sql);
              out.println("ran " + sql);
            });
    assertEquals(0, code);
    String p = SqlCommand.PROMPT;
    String c = SqlCommand.CONTINUATION;
    String s0 = SqlCommand.BANNER + NL + p;
    String s1 = s0 + "ran SELECT 1" + NL + p;
    String s2 = s1 + c;
    String s3 = s2 + c;
    String s4 = s3 + "ran SELECT 'a;\nb' AS s -- c;" + NL + p;
    String s5 = s4 + p;
    assertEquals(List.of(s0, s1, s2, s3, s4, s5), stdin.printedAtRead);
    assertEquals(s5, bytes.toString(StandardCharsets.UTF_8), "nothing after exit;");
    assertEquals(List.of("SELECT 1", "SELECT 'a;\nb' AS s -- c;"), ran);
  }

  @Test
  void pipedInputRunsEveryStatementWithoutPromptsAndGoesOnAfterAnError() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    LineByLine stdin =
        new LineByLine(
            bytes, "SELECT 1;; SELECT nope;\n", "SELECT 'x;y'\n", "-- no ; at the end\n");
    int code =
        SqlCommand.interactive(
            stdin,
            out,
            false,
            sql -> {
              if (sql.contains("nope")) {
                throw new IllegalArgumentException("no such column: nope\nplan ...");
              }
              out.println("ran " + sql);
            });
    assertEquals(0, code);
    assertEquals(
        "ran SELECT 1"
            + NL
            + "error: no such column: nope"
            + NL
            + "ran SELECT 'x;y'\n-- no ; at the end"
            + NL,
        bytes.toString(StandardCharsets.UTF_8));
  }
}
