package org.stowage.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.ExternalStorage;
import org.stowage.testkit.reference.RacyStorage;
import org.stowage.testkit.reference.ReferenceStorage;

/**
 * The harness behind the detection rates in docs/testkit.md: runs the stress check at the default
 * settings {@code -Dstowage.rates=N} times against each racy backend and the correct reference,
 * and prints how often each failed, on which rule. Off unless {@code stowage.rates} is set:
 * {@code mvn -pl testkit -am test -Dtest=StressRatesTest -Dstowage.rates=20}. {@code
 * -Dstowage.rates.only=CHECK_THEN_ACT,REFERENCE} measures only those; {@code
 * -Dstowage.rates.seconds=8} gives another budget (the kit's own tests of the racy backends use 8).
 */
class StressRatesTest {

  /** The stress check's budget: the kit's default, or {@code -Dstowage.rates.seconds}. */
  private static final int SECONDS =
      Integer.getInteger("stowage.rates.seconds", Tuning.DEFAULT_STRESS_SECONDS);

  @Test
  @DisplayName("detection rates of the stress check (prints; runs only with -Dstowage.rates=N)")
  void rates() throws Exception {
    String runs = System.getProperty("stowage.rates");
    assumeTrue(runs != null, "set -Dstowage.rates=N to measure");
    int n = Integer.parseInt(runs);
    List<String> lines = new ArrayList<>();
    String only = System.getProperty("stowage.rates.only", "");
    for (RacyStorage.Flaw flaw : RacyStorage.Flaw.values()) {
      if (chosen(only, flaw.name())) {
        lines.add(measure(flaw.name(), n, () -> new RacyStorage(flaw)));
      }
    }
    if (chosen(only, "REFERENCE")) {
      lines.add(measure("REFERENCE (correct)", n,
          () -> new ReferenceStorage(new ReferenceStorage.Root(), "reference")));
    }
    System.out.printf("budget %d s, load average %s%n", SECONDS, loadAverage());
    lines.forEach(System.out::println);
  }

  /** The machine's load averages (1, 5, 15 minutes), where the system shows them. */
  private static String loadAverage() {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
    } catch (java.io.IOException | RuntimeException unknown) {
      return String.format("%.2f", java.lang.management.ManagementFactory
          .getOperatingSystemMXBean().getSystemLoadAverage());
    }
  }

  /** Whether {@code name} starts with one of the comma-separated {@code only}, or it is empty. */
  private static boolean chosen(String only, String name) {
    return only.isEmpty() || java.util.Arrays.stream(only.split(",")).anyMatch(name::startsWith);
  }

  private static String measure(String name, int runs, Supplier<ExternalStorage> backend)
      throws Exception {
    int caught = 0;
    List<String> rules = new ArrayList<>();
    long millis = 0;
    for (int i = 0; i < runs; i++) {
      Tuning tuning = new Tuning(Tuning.DEFAULT_EXAMPLES, OptionalLong.empty(), SECONDS);
      long seed = tuning.nextSeed();
      try (ExternalStorage storage = backend.get()) {
        StressCheck.Report report = new StressCheck(storage, StressCheck.Config.of(tuning, seed)).run();
        millis += report.millis();
        if (!report.problems().isEmpty()) {
          caught++;
          String first = report.problems().get(0);
          rules.add(first.substring(0, first.indexOf(':')));
        }
        System.out.println(name + " run " + i + ": " + report.operations() + " ops, "
            + report.millis() + " ms (" + report.parts() + "), " + report.problems().size()
            + " problem(s)"
            + (report.problems().isEmpty() ? "" : "; first: " + report.problems().get(0)
                .lines().findFirst().orElse("")));
      }
    }
    return String.format("%s: caught in %d of %d runs (first rules %s), %d ms per run on average;"
        + " load average after it %s", name, caught, runs, rules, millis / runs, loadAverage());
  }
}
