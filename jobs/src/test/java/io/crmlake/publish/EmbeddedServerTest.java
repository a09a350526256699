package io.crmlake.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.config.ConfigError;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A taken port is named before the server starts: otherwise the other server (another lake's
 * serving database) answered the start-up check and publish failed with "did not start".
 */
class EmbeddedServerTest {
  @TempDir Path dir;

  @Test
  void aTakenPortIsRefusedWithTheSettingToChange() throws Exception {
    try (ServerSocket other = new ServerSocket(0, 1, InetAddress.getByName("localhost"))) {
      int port = other.getLocalPort();
      Path data = dir.resolve("serving-db");
      ConfigError e =
          assertThrows(ConfigError.class, () -> EmbeddedServer.ensureRunning(data, port));
      assertTrue(
          e.getMessage().contains("port " + port + " on localhost is taken or cannot be bound"),
          e.getMessage());
      assertTrue(e.getMessage().contains("publish.serving.embedded.port"), e.getMessage());
      assertTrue(e.getMessage().contains(data.toString()), e.getMessage());
      assertFalse(Files.exists(data), "nothing created");
      assertEquals(java.util.Optional.empty(), EmbeddedServer.status(data));
    }
  }
}
