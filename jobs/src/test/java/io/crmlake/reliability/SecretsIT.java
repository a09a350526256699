package io.crmlake.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.testing.SparkTestBase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs after every unit test (failsafe): every test process got a planted database password in
 * {@code CRMLAKE_DB_PASSWORD} (the build sets it), and no captured output of the suite — each test
 * class's stdout and stderr, the reports, the logs of every child process of the crash drills and
 * the concurrency tests — contains it.
 */
class SecretsIT {
  @Test
  void thePlantedPasswordAppearsInNoOutputOfTheSuite() throws Exception {
    String secret = System.getProperty("crmlake.planted.secret");
    assertTrue(secret != null && secret.length() > 10, "the build plants a secret");
    assertEquals(secret, System.getenv("CRMLAKE_DB_PASSWORD"), "test processes get it");
    Path target = SparkTestBase.projectDir().resolve("jobs/target");
    List<Path> searched = new ArrayList<>();
    List<String> found = new ArrayList<>();
    for (String folder : List.of("surefire-reports", "crash-logs", "concurrency-logs")) {
      Path d = target.resolve(folder);
      if (!Files.isDirectory(d)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(d)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          searched.add(f);
          String text = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
          if (f.toString().endsWith(".xml")) {
            // A report's <properties> list the test JVM's settings, not anything crmlake wrote.
            text = text.lines().filter(l -> !l.contains("<property ")).reduce("", String::concat);
          }
          if (text.contains(secret)) {
            found.add(f.toString());
          }
        }
      }
    }
    long outputs = searched.stream().filter(f -> f.toString().endsWith("-output.txt")).count();
    assertTrue(outputs >= 10, "the suite's outputs were captured: " + outputs + " files");
    assertEquals(List.of(), found, "files holding the planted password");
    System.out.println("searched " + searched.size() + " files for the planted password: none");
  }
}
