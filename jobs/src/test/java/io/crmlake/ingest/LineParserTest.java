package io.crmlake.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.crmlake.common.config.Settings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The line parser is shared by every task of an executor (it travels in a broadcast): four threads
 * parsing quoted CSV lines with one parser must each get exactly their own fields. (A single
 * univocity parser shared by two tasks once mixed their lines up, and whole files were rejected.)
 */
class LineParserTest {
  static LineParser parser() {
    Settings s =
        new Settings(
            ConfigFactory.parseString(
                "name = t\nlocation = /tmp/t\nformat = csv\nheader = false\n"
                    + "columns = [a, b, c]\nfields { order-id = a, product-id = b, amount = c }"),
            Path.of("."));
    return new LineParser(SourceSpec.parse(s, "t.conf", "UTC"));
  }

  @Test
  void oneParserServesManyThreadsAtOnce() throws Exception {
    LineParser p = parser();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<Integer>> done = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      done.add(
          pool.submit(
              () -> {
                int ok = 0;
                for (int i = 0; i < 20_000; i++) {
                  String id = thread + "-" + i;
                  LineParser.Parsed r = p.parse("\"" + id + "\",\"x, \"\"y\"\"\"," + i, null);
                  assertEquals(
                      Map.of("a", id, "b", "x, \"y\"", "c", String.valueOf(i)), r.fields());
                  ok++;
                }
                return ok;
              }));
    }
    for (Future<Integer> f : done) {
      assertEquals(20_000, f.get());
    }
    pool.shutdown();
  }

  @Test
  void aLineTheCsvParserCannotTakeIsMalformedAndTheNextLineIsFine() {
    LineParser p = parser();
    LineParser.Parsed bad = p.parse("a,b,c,d", null);
    assertEquals(RejectReason.MALFORMED_RECORD, bad.code());
    assertEquals(Map.of("a", "1", "b", "2", "c", "3"), p.parse("1,2,3", null).fields());
  }
}
