package org.stowage.testkit;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * How hard the property checks try, and with which seed: read from the JUnit configuration
 * parameter or system property {@value #EXAMPLES_KEY} (else the environment variable {@code
 * STOWAGE_EXAMPLES}), and {@value #SEED_KEY} (else {@code STOWAGE_SEED}).
 *
 * @param examples the number of examples per simple property; model and parallel checks run a
 *     fraction of it, since each of their examples is a whole sequence of operations
 * @param seed the seed to replay, if one was given; otherwise every property draws its own
 * @param stressSeconds the time budget of the stress check ({@value #STRESS_KEY}, else {@code
 *     STOWAGE_STRESS_SECONDS}; default {@value #DEFAULT_STRESS_SECONDS}): it stops starting
 *     operations when the budget is spent, and checks what ran
 */
record Tuning(int examples, OptionalLong seed, int stressSeconds) {
  static final String EXAMPLES_KEY = "stowage.examples";
  static final String SEED_KEY = "stowage.seed";
  static final String STRESS_KEY = "stowage.stress.seconds";
  static final int DEFAULT_EXAMPLES = 100;
  static final int DEFAULT_STRESS_SECONDS = 15;

  /** The settings with the default stress budget. */
  Tuning(int examples, OptionalLong seed) {
    this(examples, seed, DEFAULT_STRESS_SECONDS);
  }

  private static final SplittableRandom SEEDS = new SplittableRandom();

  Tuning {
    if (examples < 1) {
      throw new IllegalArgumentException(EXAMPLES_KEY + " must be at least 1, got " + examples);
    }
    if (stressSeconds < 1) {
      throw new IllegalArgumentException(STRESS_KEY + " must be at least 1, got " + stressSeconds);
    }
  }

  /**
   * Reads the settings from {@code config} (JUnit configuration parameters, which fall back to
   * system properties), then from {@code env}.
   *
   * @throws IllegalArgumentException if a setting is not a number
   */
  static Tuning read(Function<String, Optional<String>> config, Function<String, String> env) {
    Optional<String> examples =
        config.apply(EXAMPLES_KEY).or(() -> Optional.ofNullable(env.apply("STOWAGE_EXAMPLES")));
    Optional<String> seed =
        config.apply(SEED_KEY).or(() -> Optional.ofNullable(env.apply("STOWAGE_SEED")));
    Optional<String> stress = config.apply(STRESS_KEY)
        .or(() -> Optional.ofNullable(env.apply("STOWAGE_STRESS_SECONDS")));
    try {
      return new Tuning(
          examples.map(String::trim).filter(s -> !s.isEmpty()).map(Integer::parseInt)
              .orElse(DEFAULT_EXAMPLES),
          seed.map(String::trim).filter(s -> !s.isEmpty())
              .map(s -> OptionalLong.of(Long.parseLong(s))).orElse(OptionalLong.empty()),
          stress.map(String::trim).filter(s -> !s.isEmpty()).map(Integer::parseInt)
              .orElse(DEFAULT_STRESS_SECONDS));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "the test kit settings " + EXAMPLES_KEY + ", " + SEED_KEY + " and " + STRESS_KEY
              + " must be numbers: "
              + e.getMessage(), e);
    }
  }

  /** {@link #examples()} divided by {@code divisor}, at least 1. */
  int examples(int divisor) {
    return Math.max(1, examples / divisor);
  }

  /** The seed for the next property: the one given, or a fresh random one. */
  long nextSeed() {
    if (seed.isPresent()) {
      return seed.getAsLong();
    }
    synchronized (SEEDS) {
      return SEEDS.nextLong();
    }
  }

  /** Gives test methods of the contract their {@link Tuning}. */
  static final class Resolver implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      return parameter.getParameter().getType() == Tuning.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      return read(context::getConfigurationParameter, System::getenv);
    }
  }
}
