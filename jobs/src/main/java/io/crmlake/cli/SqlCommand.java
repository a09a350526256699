package io.crmlake.cli;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.spark.SparkSessions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "sql",
    mixinStandardHelpOptions = true,
    description = {
      "Query the lake's tables with SQL.",
      "Tables: bronze.*, silver.*, gold.*, ops.*. The result goes to stdout, logs to stderr.",
      "Without a query: an interactive prompt; end each statement with ;."
    })
final class SqlCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(SqlCommand.class);

  @Mixin CommonOptions common;

  @Parameters(
      arity = "0..1",
      paramLabel = "QUERY",
      description = "The SQL statement (several: separate them with ;).")
  String query;

  @Option(
      names = "--format",
      description = "table, csv or json (JSON lines); default ${DEFAULT-VALUE}.",
      defaultValue = "table")
  ResultPrinter.Format format;

  @Option(
      names = "--file",
      paramLabel = "FILE",
      description =
          "Run the statements of a SQL file (e.g. notebooks/*.sql) in order, printing each"
              + " result and the comment lines before it; stops with exit code 1 at the first"
              + " failing statement.")
  String file;

  @Option(
      names = "--max-rows",
      description = "Rows printed at most (default ${DEFAULT-VALUE}).",
      defaultValue = "10000")
  int maxRows;

  static final String BANNER = "crmlake SQL: end statements with ';', quit with 'exit;' or Ctrl-D.";
  static final String PROMPT = "crmlake> ";
  static final String CONTINUATION = "      -> ";

  @Override
  public Integer call() {
    CrmlakeConfig config = common.load(List.of());
    List<Statement> statements; // null: the interactive prompt
    String source;
    if (query != null) {
      statements = Splitter.split(query);
      source = "QUERY";
    } else if (file != null) {
      Path path = Path.of(CommonOptions.localFirst(file));
      statements = Splitter.split(read(path));
      source = path.toString();
    } else {
      statements = null;
      source = null;
    }
    if (query != null && statements.stream().allMatch(st -> st.sql().isEmpty())) {
      throw new ConfigError("QUERY holds no SQL statement: " + query);
    }
    return SparkSessions.with(
        config,
        "sql",
        spark -> {
          if (statements != null) {
            return run(spark, statements, source, file != null);
          }
          return interactive(
              new InputStreamReader(System.in, StandardCharsets.UTF_8),
              System.out,
              System.console() != null,
              sql -> ResultPrinter.print(spark.sql(sql), format, maxRows, System.out));
        });
  }

  private static String read(Path path) {
    try {
      return Files.readString(CommonOptions.home().resolve(path));
    } catch (java.io.IOException e) {
      throw new ConfigError("cannot read --file " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Runs the statements of QUERY or of a SQL file in order; with {@code echo} (a file) the comment
   * lines before each statement are printed too, so the output reads like the file. The first
   * failure ends the run.
   */
  private int run(SparkSession spark, List<Statement> statements, String source, boolean echo) {
    long count = statements.stream().filter(st -> !st.sql().isEmpty()).count();
    int number = 0;
    for (Statement st : statements) {
      if (echo && !st.comments().isEmpty()) {
        System.out.println(st.comments());
      }
      if (st.sql().isEmpty()) {
        continue;
      }
      number++;
      try {
        ResultPrinter.print(spark.sql(st.sql()), format, maxRows, System.out);
      } catch (Exception e) { // Spark's AnalysisException is a checked exception
        if (count == 1 && !echo) {
          throw e;
        }
        throw new IllegalStateException(
            "statement " + number + " of " + source + " failed: " + firstLine(e.getMessage()), e);
      }
    }
    return 0;
  }

  /**
   * The prompt: reads statements from {@code input} until {@code exit;}, {@code quit;} or the end
   * of the input, and runs each as soon as its {@code ;} is read; a statement left without {@code
   * ;} at the end of the input runs too. A failing statement prints its error and the prompt goes
   * on. With {@code prompts} (a terminal), the prompt is printed before each line is read: {@link
   * #PROMPT} for a new statement, {@link #CONTINUATION} while one is incomplete.
   */
  static int interactive(
      Reader input, PrintStream out, boolean prompts, Consumer<String> runStatement) {
    BufferedReader in = new BufferedReader(input);
    if (prompts) {
      out.println(BANNER);
    }
    Splitter splitter = new Splitter();
    while (true) {
      if (prompts) {
        out.print(splitter.pending() ? CONTINUATION : PROMPT);
        out.flush();
      }
      String line;
      try {
        line = in.readLine();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      List<Statement> statements = line == null ? splitter.finish() : splitter.feed(line + "\n");
      for (Statement st : statements) {
        String sql = st.sql();
        if (sql.equalsIgnoreCase("exit") || sql.equalsIgnoreCase("quit")) {
          return 0;
        }
        if (sql.isEmpty()) {
          continue;
        }
        try {
          runStatement.accept(sql);
        } catch (Exception e) { // Spark's AnalysisException is a checked exception
          LOG.debug("query failed", e);
          out.println("error: " + firstLine(e.getMessage()));
        }
      }
      if (line == null) {
        if (prompts) {
          out.println();
        }
        return 0;
      }
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /**
   * One statement of a script or of the prompt's input.
   *
   * @param comments the comment lines before the statement (blank when none)
   * @param sql the statement without its {@code ;}, trimmed; empty when there are only comments
   */
  record Statement(String comments, String sql) {}

  /**
   * Splits SQL text into statements on {@code ;} outside quotes ({@code '...'}, {@code "..."} with
   * backslash escapes, {@code `...`}) and comments ({@code --} to the end of the line, {@code /*
   * ... *}{@code /}, which may nest). The text may come in pieces ({@link #feed}, e.g. a line at a
   * time at the prompt): a statement comes out as soon as its {@code ;} is read. {@link #split} is
   * the whole-text form used for QUERY and files.
   */
  static final class Splitter {
    private final StringBuilder text = new StringBuilder();
    private int pos; // next character to scan
    private int start; // where the current statement starts
    private int code = -1; // its first character of SQL (not comment or space); -1: none yet
    private char quote; // the open quote character, 0 outside quotes
    private boolean escaped; // the previous character was a backslash within quotes
    private boolean lineComment;
    private int blockComments; // depth of nested /* */
    private boolean afterStatement; // a statement ended before this one

    /** The statements of {@code text}, the last one without {@code ;} included. */
    static List<Statement> split(String text) {
      Splitter s = new Splitter();
      List<Statement> out = new ArrayList<>(s.feed(text));
      out.addAll(s.finish());
      return out;
    }

    /** Adds text; returns the statements it completes. */
    List<Statement> feed(CharSequence more) {
      text.append(more);
      List<Statement> out = new ArrayList<>();
      scan(false, out);
      if (start > 0) { // drop what has been handed out
        text.delete(0, start);
        pos -= start;
        code = code < 0 ? -1 : code - start;
        start = 0;
      }
      return out;
    }

    /** Ends the input: returns the statement left without {@code ;}, if any text is left. */
    List<Statement> finish() {
      List<Statement> out = new ArrayList<>();
      scan(true, out);
      if (!text.substring(start).isBlank()) {
        out.add(cut(text.length()));
      }
      text.setLength(0);
      pos = start = 0;
      code = -1;
      quote = 0;
      escaped = lineComment = afterStatement = false;
      blockComments = 0;
      return out;
    }

    /** True while a statement has begun and its {@code ;} has not come (for the prompt). */
    boolean pending() {
      return code >= 0 || quote != 0 || blockComments > 0;
    }

    private void scan(boolean atEnd, List<Statement> out) {
      while (pos < text.length()) {
        char c = text.charAt(pos);
        boolean last = pos + 1 == text.length();
        char next = last ? 0 : text.charAt(pos + 1);
        if (lineComment) {
          lineComment = c != '\n';
        } else if (blockComments > 0 || (quote == 0 && (c == '-' || c == '/'))) {
          if (last && !atEnd && (c == '-' || c == '/' || c == '*')) {
            return; // the next piece tells whether a comment starts or ends here
          }
          if (c == '-' && next == '-' && blockComments == 0) {
            lineComment = true;
            pos++;
          } else if (c == '/' && next == '*') {
            blockComments++;
            pos++;
          } else if (c == '*' && next == '/' && blockComments > 0) {
            blockComments--;
            pos++;
          } else if (blockComments == 0) {
            markCode();
          }
        } else if (quote != 0) {
          if (escaped) {
            escaped = false;
          } else if (c == '\\' && quote != '`') {
            escaped = true;
          } else if (c == quote) {
            quote = 0;
          }
        } else if (c == ';') {
          out.add(cut(pos));
          start = pos + 1;
          code = -1;
          afterStatement = true;
        } else if (c == '\'' || c == '"' || c == '`') {
          markCode();
          quote = c;
        } else if (!Character.isWhitespace(c)) {
          markCode();
        }
        pos++;
      }
    }

    private void markCode() {
      if (code < 0) {
        code = pos;
      }
    }

    /** The statement from {@link #start} to {@code end} (its {@code ;} or the end of the text). */
    private Statement cut(int end) {
      int sqlStart = code < 0 ? end : code;
      String comments = text.substring(start, sqlStart);
      int nl = comments.indexOf('\n');
      if (afterStatement && nl >= 0 && comments.substring(0, nl).isBlank()) {
        comments = comments.substring(nl + 1); // the rest of the previous statement's line
      }
      comments = comments.isBlank() ? "" : comments.stripTrailing();
      return new Statement(comments, text.substring(sqlStart, end).trim());
    }
  }
}
