package org.stowage.testkit;

import static org.quicktheories.QuickTheory.qt;

import java.util.List;
import java.util.function.Consumer;
import org.quicktheories.api.AsString;
import org.quicktheories.core.Gen;
import org.quicktheories.core.Reporter;

/**
 * Runs QuickTheories properties with the kit's {@link Tuning}, and turns a falsified property into
 * a failure that names the rule, the seed and how to replay it.
 */
final class Theories {
  private Theories() {}

  /**
   * Checks {@code property} on {@code examples} values of {@code gen}.
   *
   * @param rule the contract rule(s) checked, e.g. {@code "L2"}, first in the failure message
   * @param what the property in words, for the failure message
   * @param shrinkCycles how many attempts QuickTheories makes to shrink a counterexample; 0 for
   *     properties that shrink their counterexamples themselves
   */
  static <T> void check(
      Tuning tuning,
      String rule,
      String what,
      int examples,
      int shrinkCycles,
      Gen<T> gen,
      Consumer<T> property) {
    long seed = tuning.nextSeed();
    try {
      qt().withReporter(new Report(shrinkCycles > 0))
          .withExamples(examples)
          .withFixedSeed(seed)
          .withShrinkCycles(shrinkCycles)
          .withGenerateAttempts(100)
          .forAll(gen)
          .checkAssert(property);
    } catch (Falsified e) {
      throw new AssertionError(
          rule + ": " + what + " does not hold. Seed " + seed + "; replay with -D"
              + Tuning.SEED_KEY + "=" + seed + " (or STOWAGE_SEED=" + seed + ") and the same or a "
              + "larger -D" + Tuning.EXAMPLES_KEY + " (" + examples + " examples here).\n"
              + e.getMessage(),
          e.getCause());
    }
  }

  /** A falsified property, as {@link Report} describes it. */
  private static final class Falsified extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Falsified(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }

  /**
   * Describes a counterexample by its smallest value and the reason it fails. The reason's stack
   * trace is kept (as the cause) only when it is not an assertion's, whose message says it all.
   */
  private static final class Report implements Reporter {
    private final String found;

    /** {@code shrinks}: whether QuickTheories shrinks, or the property shrinks by itself. */
    Report(boolean shrinks) {
      this.found = shrinks
          ? "The smallest counterexample found:\n"
          : "The counterexample generated (the reason below shows it shrunk):\n";
    }

    @Override
    public void falisification(long seed, int examplesUsed, Object smallest, Throwable cause,
        List<Object> examples, AsString<Object> toString) {
      boolean assertion = cause instanceof AssertionError;
      throw new Falsified(
          "Falsified after " + examplesUsed + " example(s). " + found
              + toString.asString(smallest) + "\nfails because:\n"
              + (assertion ? cause.getMessage() : cause.toString()),
          assertion ? null : cause);
    }

    @Override
    public void falisification(long seed, int examplesUsed, Object smallest,
        List<Object> examples, AsString<Object> toString) {
      throw new Falsified(
          "Falsified after " + examplesUsed + " example(s). " + found
              + toString.asString(smallest),
          null);
    }

    @Override
    public void valuesExhausted(int completedExamples) {
      throw new IllegalStateException(
          "the generators gave up after " + completedExamples + " example(s): a bug of the kit");
    }
  }
}
