package io.crmlake.generate;

import io.crmlake.common.lake.Table;
import io.crmlake.common.run.Job;
import io.crmlake.common.run.Outputs;
import io.crmlake.common.run.RunContext;
import java.util.List;
import java.util.Optional;

/**
 * The generator as a job: {@code bin/crmlake generate [--customers N]}. It writes landing files,
 * not tables, so it keeps its own body ({@link LakeGenerator#generate}) behind the runner, which
 * records the run. Settings: {@code generate.*}.
 */
public final class GenerateJob implements Job<GenerateResult> {
  private final GenerateSettings settings;

  public GenerateJob(GenerateSettings settings) {
    this.settings = settings;
  }

  @Override
  public String name() {
    return "generate";
  }

  @Override
  public List<Table> outputs() {
    return List.of();
  }

  @Override
  public Optional<Table> mainInput() {
    return Optional.empty();
  }

  @Override
  public Outputs<GenerateResult> compute(RunContext ctx) {
    return Outputs.none(new LakeGenerator(ctx.spark(), settings).generate(ctx));
  }
}
