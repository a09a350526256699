package io.crmlake.cli;

import io.crmlake.common.config.CrmlakeConfig;
import io.crmlake.common.lake.Lake;
import io.crmlake.common.run.JobResult;
import io.crmlake.common.run.RunContext;
import io.crmlake.generate.GenerateSettings;
import io.crmlake.generate.LakeGenerator;
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
final class GenerateCommand extends JobCommand<GenerateSettings> {
  @Option(
      names = "--customers",
      paramLabel = "N",
      description = "Shorthand for --set generate.customers=N.")
  Long customers;

  @Override
  String job() {
    return "generate";
  }

  @Override
  List<String> overrides() {
    return customers == null ? List.of() : List.of("generate.customers=" + customers);
  }

  @Override
  GenerateSettings settings(CrmlakeConfig config) {
    return GenerateSettings.from(config);
  }

  @Override
  JobResult execute(Lake lake, GenerateSettings settings, RunContext ctx) {
    return new LakeGenerator(lake.spark(), settings).run(ctx);
  }

  @Override
  void report(JobResult result, GenerateSettings settings) {
    if (result.metrics().containsKey("skipped")) {
      System.out.println(
          "generate: " + settings.output() + " already holds this sample lake; nothing to do");
      return;
    }
    System.out.printf(
        "generate: %d customers, %d order lines in %s daily files under %s/orders%n",
        result.inputRows(), result.outputRows(), result.metrics().get("files"), settings.output());
    result
        .metrics()
        .forEach(
            (k, v) -> {
              if (k.startsWith("lines.")) {
                System.out.printf("  %-24s %s%n", k.substring(6), v);
              }
            });
  }
}
