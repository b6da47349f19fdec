package org.stowage.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * One line of the list: a Stowage operation, its raw baseline, how to express their speed,
 * and the target for their ratio.
 *
 * <p>The ratio is always "Stowage's speed over the baseline's speed" (operations per second over
 * operations per second, whatever JMH's mode), so above 1 means Stowage is faster. An operation is
 * paired with the baseline run with the same parameters and the same number of threads.
 *
 * @param id the number for it: {@code 1}, {@code 3}, {@code 4}
 * @param what what is measured, for the table
 * @param operation the Stowage benchmark, {@code SimpleClassName.method}
 * @param baseline the baseline benchmark, {@code SimpleClassName.method}
 * @param minRatio the least acceptable ratio, NaN if the comparison is for information
 * @param rate how to express a measurement's speed
 */
record Comparison(
    String id, String what, String operation, String baseline, double minRatio, Rate rate) {

  /** A speed, derived from a measurement, with its unit. */
  record Rate(String unit, ToDoubleFunction<Measurement> perSecond) {
    /** Operations per second. */
    static Rate ops() {
      return new Rate("ops/s", Measurement::opsPerSecond);
    }

    /** Bytes per second, from the product of parameters that gives the bytes of one operation. */
    static Rate megabytes(String... params) {
      return new Rate("MB/s", m -> product(m, params) * m.opsPerSecond() / 1e6);
    }

    /** Items per second, from the parameter that gives the items of one operation. */
    static Rate items(String unit, String param) {
      return new Rate(unit, m -> m.param(param) * m.opsPerSecond());
    }

    private static double product(Measurement m, String... params) {
      double p = 1;
      for (String name : params) {
        p *= m.param(name);
      }
      return p;
    }

    String format(Measurement m) {
      double v = perSecond.applyAsDouble(m);
      String number = v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.3g", v);
      double e = m.relativeError();
      String error = Double.isNaN(e) ? "" : String.format(Locale.ROOT, " ±%.0f%%", 100 * e);
      return number + " " + unit + error;
    }
  }

  /**
   * One row of the table: a comparison, for one set of parameters, with its outcome.
   *
   * @param comparison what was compared
   * @param op the Stowage measurement, absent if its benchmark failed
   * @param base the baseline measurement, absent if its benchmark failed
   */
  record Row(Comparison comparison, Optional<Measurement> op, Optional<Measurement> base) {
    /** Whether both sides were measured. */
    boolean complete() {
      return op.isPresent() && base.isPresent();
    }

    /** Stowage's speed over the baseline's; NaN unless complete. */
    double ratio() {
      return complete() ? op.get().opsPerSecond() / base.get().opsPerSecond() : Double.NaN;
    }

    /** Whether the target is met; empty if there is no target or the row is incomplete. */
    Optional<Boolean> met() {
      if (!complete() || Double.isNaN(comparison.minRatio)) {
        return Optional.empty();
      }
      return Optional.of(ratio() >= comparison.minRatio);
    }

    /** The parameters and threads of the row, for the table. */
    String describeParams() {
      Measurement m = op.or(() -> base).orElse(null);
      if (m == null) {
        return "";
      }
      List<String> parts = new ArrayList<>();
      m.params().forEach((k, v) -> parts.add(k + "=" + humanize(k, v)));
      return String.join(", ", parts);
    }

    /** Threads of the row, 0 if not measured. */
    int threads() {
      return op.or(() -> base).map(Measurement::threads).orElse(0);
    }
  }

  /**
   * Pairs this comparison's measurements: one row per parameter set and thread count the
   * operation or the baseline ran with; a row with only one side when the other failed; one empty
   * row if neither ran.
   */
  List<Row> rows(List<Measurement> all) {
    List<Row> rows = new ArrayList<>();
    List<Measurement> bases = new ArrayList<>(all.stream().filter(m -> m.benchmark().equals(baseline)).toList());
    for (Measurement op : all) {
      if (!op.benchmark().equals(operation)) {
        continue;
      }
      Optional<Measurement> base =
          bases.stream()
              .filter(b -> b.params().equals(op.params()) && b.threads() == op.threads())
              .findFirst();
      base.ifPresent(bases::remove);
      rows.add(new Row(this, Optional.of(op), base));
    }
    for (Measurement base : bases) {
      rows.add(new Row(this, Optional.empty(), Optional.of(base)));
    }
    if (rows.isEmpty()) {
      rows.add(new Row(this, Optional.empty(), Optional.empty()));
    }
    return rows;
  }

  /** Sizes in bytes as KiB, MiB or GiB when they are exact. */
  static String humanize(String name, String value) {
    if (!name.toLowerCase(Locale.ROOT).endsWith("bytes")) {
      return value;
    }
    long v;
    try {
      v = Long.parseLong(value);
    } catch (NumberFormatException e) {
      return value;
    }
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (u < units.length - 1 && v >= 1024 && v % 1024 == 0) {
      v /= 1024;
      u++;
    }
    return v + " " + units[u];
  }
}
