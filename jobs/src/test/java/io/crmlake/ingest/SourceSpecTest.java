package io.crmlake.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Source descriptions are checked like the main configuration: a misspelt key is an error. */
class SourceSpecTest {
  @TempDir Path dir;

  static final CrmlakeConfig MAIN = CrmlakeConfig.load(null, SparkTestBase.projectDir(), List.of());

  private SourceSpec load(String text) throws Exception {
    Path f = dir.resolve("orders.conf");
    Files.writeString(f, text);
    return SourceSpec.load(f.toString(), MAIN.raw(), dir, "UTC");
  }

  static final String GOOD =
      "name = orders\n"
          + "location = \"/tmp/orders\"\n"
          + "format = csv\n"
          + "header = true\n"
          + "fields {\n"
          + "  customer-id = cust\n"
          + "  product-id = sku\n"
          + "}\n";

  @Test
  void aMisspeltKeyNamesTheFileLineAndClosestKey() throws Exception {
    assertEquals("orders", load(GOOD).name());
    ConfigError e =
        assertThrows(ConfigError.class, () -> load(GOOD + "timestamp-format = [\"yyyy\"]\n"));
    assertTrue(
        e.getMessage().startsWith("unknown setting timestamp-format (")
            && e.getMessage().contains("orders.conf: 9")
            && e.getMessage().contains("did you mean timestamp-formats?"),
        e.getMessage());
    e =
        assertThrows(
            ConfigError.class, () -> load(GOOD.replace("customer-id = cust", "custmer-id = cust")));
    assertTrue(
        e.getMessage().startsWith("unknown setting fields.custmer-id (")
            && e.getMessage().contains("did you mean fields.customer-id?"),
        e.getMessage());
  }

  /** Every shipped source description uses only known keys. */
  @Test
  void theShippedSourcesLoad() throws Exception {
    Path sources = SparkTestBase.projectDir().resolve("conf/sources");
    try (Stream<Path> files = Files.list(sources)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".conf")).toList()) {
        SourceSpec spec =
            SourceSpec.load(f.toString(), MAIN.raw(), SparkTestBase.projectDir(), "UTC");
        assertTrue(!spec.name().isBlank(), f.toString());
      }
    }
  }
}
