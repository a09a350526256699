package io.crmlake.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium (Debian's {@code chromium}, never a downloaded browser) opening a local page:
 * the DOM after the page's scripts ran, and a screenshot. The flags keep it off the network (this
 * machine's is closed, and a report must not need one) and give it a new empty profile.
 */
public final class Browser {
  private Browser() {}

  /** The page's DOM after load and what the browser printed. */
  public record Page(String dom, String log) {}

  public static String executable() {
    for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
      if (Files.isExecutable(Path.of(c))) {
        return c;
      }
    }
    throw new AssertionError(
        "Chromium is not installed: `apt-get install chromium` (the README's test command,"
            + " .ci/run, installs it)");
  }

  /** Opens {@code html} and returns its DOM after the scripts ran. */
  public static Page dom(Path html, Path work) throws IOException, InterruptedException {
    return run(html, work, List.of("--virtual-time-budget=5000", "--dump-dom"));
  }

  /** Opens {@code html} in a window {@code width} × {@code height} and saves a PNG of it. */
  public static Page screenshot(Path html, Path png, int width, int height, Path work)
      throws IOException, InterruptedException {
    return run(
        html,
        work,
        List.of(
            "--hide-scrollbars",
            "--window-size=" + width + "," + height,
            "--screenshot=" + png.toAbsolutePath()));
  }

  private static Page run(Path html, Path work, List<String> action)
      throws IOException, InterruptedException {
    Files.createDirectories(work);
    Path profile = Files.createTempDirectory(work, "profile");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                executable(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--enable-logging=stderr",
                "--v=0",
                "--user-data-dir=" + profile));
    cmd.addAll(action);
    cmd.add(html.toAbsolutePath().toUri().toString());
    Path out = Files.createTempFile(work, "chromium", ".out");
    Path err = Files.createTempFile(work, "chromium", ".err");
    Process p =
        new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish in 180 s: " + cmd);
    }
    String log = Files.readString(err, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new AssertionError("chromium exited with " + p.exitValue() + ":\n" + log);
    }
    return new Page(Files.readString(out, StandardCharsets.UTF_8), log);
  }
}
