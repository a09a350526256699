package io.crmlake.architecture;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The layering of the main code, read from its compiled classes: the command line on top, then the
 * table registry, then the jobs (each package with its own tables), the shared features, and {@code
 * common} (config, session, the table type, the runner) at the bottom. A layer uses only those
 * below it; no two packages depend on each other, directly or round about. {@code common} therefore
 * names no job and no job's table.
 */
class ArchitectureTest {
  static final String[] JOBS = {
    "io.crmlake.ingest..",
    "io.crmlake.baskets..",
    "io.crmlake.segments..",
    "io.crmlake.churn..",
    "io.crmlake.clv..",
    "io.crmlake.publish..",
    "io.crmlake.generate..",
    "io.crmlake.report..",
    "io.crmlake.cluster.."
  };

  /**
   * The main classes of both modules: {@code common}'s come as a folder or, in a full build, as its
   * jar; test classes and {@code common}'s test jar are left out.
   */
  static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .withImportOption(location -> !location.contains("-tests.jar"))
          .importPackages("io.crmlake");

  @Test
  void eachLayerUsesOnlyTheLayersBelowIt() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("cli")
        .definedBy("io.crmlake.cli..")
        .layer("registry")
        .definedBy("io.crmlake.tables..")
        .layer("jobs")
        .definedBy(JOBS)
        .layer("features")
        .definedBy("io.crmlake.features..")
        .layer("common")
        .definedBy("io.crmlake.common..")
        .whereLayer("cli")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("registry")
        .mayOnlyBeAccessedByLayers("cli")
        .whereLayer("jobs")
        .mayOnlyBeAccessedByLayers("cli", "registry")
        .whereLayer("features")
        .mayOnlyBeAccessedByLayers("cli", "registry", "jobs")
        .check(MAIN);
  }

  @Test
  void noPackageCycles() {
    slices().matching("io.crmlake.(*)..").should().beFreeOfCycles().check(MAIN);
    slices().matching("io.crmlake.common.(*)..").should().beFreeOfCycles().check(MAIN);
  }

  /** The rules above would pass on nothing: the classes of every layer were read. */
  @Test
  void everyLayerWasRead() {
    for (String p :
        new String[] {
          "io.crmlake.cli",
          "io.crmlake.tables",
          "io.crmlake.churn",
          "io.crmlake.features",
          "io.crmlake.common.run"
        }) {
      org.junit.jupiter.api.Assertions.assertTrue(
          MAIN.stream().anyMatch(c -> c.getPackageName().equals(p)), p + " was not read");
    }
  }
}
