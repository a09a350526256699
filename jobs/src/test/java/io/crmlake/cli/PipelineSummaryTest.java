package io.crmlake.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crmlake.common.run.JobLock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The pipeline's exit code and resume hint from its jobs' outcomes, run on steps that need no
 * Spark: a locked job ends the pipeline with exit code 4 (as a locked single job does), a failed
 * one with 1, a job that left input aside with 3.
 */
class PipelineSummaryTest {

  static PipelineCommand.Step step(String job, Runnable body) {
    return new PipelineCommand.Step(
        job,
        job,
        lake -> {
          body.run();
          return Main.OK;
        });
  }

  /**
   * Runs the steps and prints their summary; returns what was printed, the exit code in code[0].
   */
  static String summary(List<PipelineCommand.Step> steps, int[] code) {
    return captured(
        () ->
            code[0] =
                PipelineCommand.printSummary(
                    PipelineCommand.runSteps(null, steps, "", "pipeline-test")));
  }

  static String captured(Runnable r) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      r.run();
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aLockedJobStopsThePipelineWithExitCode4() {
    List<PipelineCommand.Step> steps =
        List.of(
            step("churn", () -> {}),
            step(
                "clv",
                () -> {
                  throw new IllegalStateException(
                      "clv failed", new JobLock.JobLockedException("another run of clv holds"));
                }),
            step("publish", () -> {}));
    int[] code = new int[1];
    String out = summary(steps, code);
    assertEquals(Main.LOCKED, code[0], out);
    assertTrue(out.contains("clv       LOCKED"), out);
    assertTrue(out.contains("publish   skipped"), out);
    assertTrue(out.contains("resume later with: bin/crmlake pipeline --from clv"), out);
  }

  @Test
  void aFailedJobStopsThePipelineWithExitCode1() {
    List<PipelineCommand.Step> steps =
        List.of(
            step(
                "segments",
                () -> {
                  throw new IllegalStateException("no silver");
                }),
            step("churn", () -> {}));
    int[] code = new int[1];
    String out = summary(steps, code);
    assertEquals(Main.FAILED, code[0], out);
    assertTrue(out.contains("fix the cause and resume with: bin/crmlake pipeline --from segments"));
  }
}
