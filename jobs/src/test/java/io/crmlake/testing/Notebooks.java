package io.crmlake.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a Jupyter notebook top to bottom, headless ({@code python3 -m nbconvert --execute}: Debian's
 * {@code python3-nbconvert}, whose package has no {@code jupyter-nbconvert} command); a cell error
 * fails the run.
 */
public final class Notebooks {
  private Notebooks() {}

  /** Exit code, what nbconvert printed, and the executed notebook. */
  public record Run(int code, String output, Path executed) {}

  public static Run execute(Path notebook, Path outDir, Map<String, String> env)
      throws IOException, InterruptedException {
    // Debian's nbconvert has no jupyter-nbconvert command: run its module with Debian's Python.
    if (!Files.isDirectory(Path.of("/usr/lib/python3/dist-packages/nbconvert"))) {
      throw new AssertionError(
          "Jupyter is not installed: `apt-get install jupyter-notebook python3-nbconvert"
              + " python3-pandas python3-matplotlib python3-psycopg2` (.ci/run installs them)");
    }
    Files.createDirectories(outDir);
    String name = notebook.getFileName().toString();
    ProcessBuilder pb =
        new ProcessBuilder(
                List.of(
                    "/usr/bin/python3",
                    "-m",
                    "nbconvert",
                    "--to",
                    "notebook",
                    "--execute",
                    "--ExecutePreprocessor.timeout=300",
                    "--output-dir",
                    outDir.toString(),
                    notebook.toString()))
            .directory(notebook.getParent().toFile())
            .redirectErrorStream(true);
    // Debian's Python first: a Python of the user's own (pyenv, venv) lacks the packages.
    pb.environment().put("PATH", "/usr/bin:/bin");
    pb.environment().putAll(env);
    Path log = Files.createTempFile(outDir, name, ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    if (!p.waitFor(600, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(name + " did not finish in 600 s");
    }
    return new Run(
        p.exitValue(), Files.readString(log, StandardCharsets.UTF_8), outDir.resolve(name));
  }
}
