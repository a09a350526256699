package io.crmlake.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.testing.SparkTestBase;
import io.crmlake.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The three forms of {@code sql} (QUERY, --file, standard input) split statements alike. */
class SqlCommandSparkTest extends SparkTestBase {
  @TempDir Path dir;

  @Test
  void queryFileAndPipedInputRunEachStatement() throws Exception {
    String lake = dir.resolve("lake").toString();
    Cli.Result query =
        Cli.run("sql", "--lake", lake, "--format", "csv", "SELECT 'a;b' AS s; SELECT 1 + 1 AS n");
    assertEquals(0, query.code(), query.err());
    assertEquals(List.of("s", "a;b", "n", "2"), query.out().lines().toList());

    Path file = dir.resolve("q.sql");
    Files.writeString(
        file, "-- Text; with a semicolon\nSELECT 'x;y' AS s;\n\n-- Sum\nSELECT 2\n+ 3 AS n");
    Cli.Result script =
        Cli.run("sql", "--lake", lake, "--format", "csv", "--file", file.toString());
    assertEquals(0, script.code(), script.err());
    assertEquals(
        List.of("-- Text; with a semicolon", "s", "x;y", "", "-- Sum", "n", "5"),
        script.out().lines().toList());

    Cli.Result piped =
        Cli.runWithInput(
            "SELECT 'p;q' AS s; -- done;\nSELECT nope;\nSELECT 4\n AS n",
            "sql",
            "--lake",
            lake,
            "--format",
            "csv");
    assertEquals(0, piped.code(), piped.err());
    List<String> lines = piped.out().lines().toList();
    assertEquals(List.of("s", "p;q"), lines.subList(0, 2));
    assertTrue(lines.get(2).startsWith("error: ") && lines.get(2).contains("nope"), piped.out());
    assertEquals(List.of("n", "4"), lines.subList(3, 5));
    assertEquals(5, lines.size(), piped.out());
    assertFalse(piped.out().contains(SqlCommand.PROMPT), "no prompt when stdin is no terminal");

    Cli.Result failing =
        Cli.run("sql", "--lake", lake, "SELECT 1 AS n; SELECT nope; SELECT 2 AS m");
    assertEquals(1, failing.code());
    assertTrue(failing.err().contains("statement 2 of QUERY failed: "), failing.err());
    assertTrue(failing.err().contains("nope"), failing.err());
    assertFalse(failing.out().lines().anyMatch("m"::equals), "nothing runs after the failure");

    Cli.Result empty = Cli.run("sql", "--lake", lake, " ; /* nothing */ ;");
    assertEquals(2, empty.code(), empty.err());
    assertTrue(empty.err().contains("QUERY holds no SQL statement"), empty.err());
  }
}
