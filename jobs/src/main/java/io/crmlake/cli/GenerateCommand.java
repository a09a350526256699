package io.crmlake.cli;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.Job;
import io.crmlake.generate.GenerateJob;
import io.crmlake.generate.GenerateResult;
import io.crmlake.generate.GenerateSettings;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = {
      "Generate a deterministic sample transaction lake.",
      "Writes daily order files, customer profiles and ground truth into generate.output.",
      "Settings: generate.* (customers, start, end, seed, format, malformed-share,",
      "duplicate-share, return-share, products)."
    })
final class GenerateCommand extends JobCommand<GenerateResult> {
  private GenerateSettings generate;

  @Option(
      names = "--customers",
      paramLabel = "N",
      description = "Shorthand for --set generate.customers=N.")
  Long customers;

  @Override
  List<String> overrides() {
    return customers == null ? List.of() : List.of("generate.customers=" + customers);
  }

  @Override
  Job<GenerateResult> job(CrmlakeConfig config) {
    generate = GenerateSettings.from(config);
    return new GenerateJob(generate);
  }

  @Override
  void report(Lake lake, GenerateResult r) {
    if (r.skipped()) {
      System.out.println(
          "generate: " + generate.output() + " already holds this sample lake; nothing to do");
      return;
    }
    System.out.printf(
        "generate: %d customers, %d order lines in %d daily files under %s/orders%n",
        r.customers(), r.lines(), r.files(), generate.output());
    r.linesByKind().forEach((k, v) -> System.out.printf("  %-24s %s%n", k, v));
  }
}
