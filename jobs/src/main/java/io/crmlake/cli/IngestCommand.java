package io.crmlake.cli;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.Job;
import io.crmlake.ingest.IngestJob;
import io.crmlake.ingest.IngestResult;
import io.crmlake.ingest.IngestSettings;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = {
      "Ingest landing files into bronze and silver tables.",
      "Writes bronze.transactions_raw, silver.transactions and silver.transactions_rejected.",
      "Only files not ingested before are read; every record is stored, quarantined with a",
      "reason, or skipped as a duplicate, exactly once."
    })
final class IngestCommand extends JobCommand<IngestResult> {
  @Option(
      names = "--source",
      paramLabel = "FILE",
      description =
          "Source description (HOCON), e.g. conf/sources/cdnow_master.conf; repeatable."
              + " Default: the files listed in ingest.sources.")
  List<String> sources = new ArrayList<>();

  @Override
  Job<IngestResult> job(CrmlakeConfig config) {
    return new IngestJob(
        IngestSettings.from(config, sources.stream().map(CommonOptions::localFirst).toList()));
  }

  @Override
  void report(Lake lake, IngestResult r) {
    for (IngestResult.SourceCounts c : r.sources()) {
      System.out.printf(
          "source %s: %d new files (%d empty); read %d = stored %d + duplicates %d + rejected %d%n",
          c.source(),
          c.newFiles(),
          c.emptyFiles(),
          c.read(),
          c.stored(),
          c.duplicates(),
          c.rejected());
      c.rejectedByReason().forEach((k, v) -> System.out.printf("  rejected %-18s %d%n", k, v));
      c.rejectedFiles().forEach((f, why) -> System.out.printf("  rejected file %s: %s%n", f, why));
      if (c.skippedFiles() > 0) {
        System.out.printf(
            "  %d files changed or vanished while being read: left for the next run%n",
            c.skippedFiles());
      }
    }
    System.out.printf(
        "ingest: read %d = stored %d + duplicates %d + rejected %d%n",
        r.inputRows(), r.outputRows(), r.skippedRows(), r.quarantinedRows());
    if (r.rejectedFiles() > 0) {
      System.out.printf(
          "ingest: %d files rejected as a whole (exit %d; status REJECTED in"
              + " ops.ingested_files; each is read again once it changes)%n",
          r.rejectedFiles(), Main.PARTIAL);
    }
  }

  @Override
  int exitCode(IngestResult r) {
    return r.rejectedFiles() > 0 ? Main.PARTIAL : Main.OK;
  }
}
