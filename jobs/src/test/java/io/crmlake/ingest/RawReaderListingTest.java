package io.crmlake.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.crmlake.common.config.Settings;
import io.crmlake.common.spark.LocalFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FilterFileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listing a landing folder. The local file system is walked a folder at a time (its recursive
 * listing forks a process per file), with Hadoop's local file system and with crmlake's; any other
 * file system (here the local one behind a filter, as an object store would be) is listed flat with
 * {@code listFiles}. All three list the same files. The fixture, by hand: files in the top folder
 * and two levels down are listed with their path relative to the location and their size, sorted by
 * that path; a file in a folder starting with {@code _} or {@code .}, a hidden file, a Hadoop
 * checksum file and a name outside the glob are not.
 */
class RawReaderListingTest {
  @TempDir Path dir;

  /** Not a local file system to {@code instanceof}: listed flat, like HDFS or an object store. */
  public static class FlatListing extends FilterFileSystem {
    public FlatListing() {
      super(new LocalFileSystem());
    }
  }

  private SourceSpec spec(String glob) {
    Settings s =
        new Settings(
            ConfigFactory.parseString(
                    "name = t\nformat = csv\nheader = true\nglob = \""
                        + glob
                        + "\"\nfields { order-id = a, product-id = b, amount = c }")
                .withFallback(
                    ConfigFactory.parseMap(java.util.Map.of("location", dir.toUri().toString()))),
            Path.of("."));
    return SourceSpec.parse(s, "t.conf", "UTC");
  }

  private void write(String rel, String text) throws IOException {
    Path p = dir.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
  }

  @Test
  void walksNestedFoldersAndSkipsHiddenOnesLikeTheFlatListing() throws IOException {
    write("orders-2024-01-01.csv", "a,b,c\n");
    write("2024/02/orders-2024-02-01.csv", "a,b,c\n1,2,3\n");
    write("2024/orders-2024-01-31.csv", "");
    write("_staging/orders-x.csv", "a,b,c\n");
    write(".tmp/orders-y.csv", "a,b,c\n");
    write("2024/.orders-z.csv", "a,b,c\n");
    write("2024/.orders-2024-01-31.csv.crc", "crc");
    write("notes.txt", "not a csv\n");

    List<String> expected =
        List.of(
            "2024/02/orders-2024-02-01.csv 12",
            "2024/orders-2024-01-31.csv 0",
            "orders-2024-01-01.csv 6");
    for (String impl :
        List.of(
            LocalFileSystem.class.getName(),
            LocalFiles.NioLocalFileSystem.class.getName(),
            FlatListing.class.getName())) {
      Configuration conf = new Configuration();
      conf.set("fs.file.impl", impl);
      conf.setBoolean("fs.file.impl.disable.cache", true);
      List<String> listed =
          LandingFolder.list(spec("*.csv"), conf).stream()
              .map(f -> f.relativePath() + " " + f.size())
              .toList();
      assertEquals(expected, listed, impl);
    }
  }
}
