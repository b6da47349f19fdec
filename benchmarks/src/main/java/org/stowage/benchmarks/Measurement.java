package org.stowage.benchmarks;

import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * One benchmark's result, reduced to what the ratio table needs.
 *
 * @param benchmark {@code SimpleClassName.method}
 * @param params the JMH parameters it ran with, sorted by name
 * @param threads how many threads ran it
 * @param score the primary score, in {@code unit}
 * @param error the half-width of the score's 99.9% confidence interval, NaN if unknown
 * @param unit JMH's unit: {@code ops/s}, {@code ms/op} and the like
 * @param secondary secondary results (auxiliary counters), by name
 */
record Measurement(
    String benchmark,
    Map<String, String> params,
    int threads,
    double score,
    double error,
    String unit,
    Map<String, Double> secondary) {

  Measurement {
    params = Map.copyOf(params);
    secondary = Map.copyOf(secondary);
  }

  /** Reduces a JMH result. */
  static Measurement of(RunResult run) {
    BenchmarkParams p = run.getParams();
    String full = p.getBenchmark();
    int method = full.lastIndexOf('.');
    int type = full.lastIndexOf('.', method - 1);
    Map<String, String> params = new TreeMap<>();
    for (String key : p.getParamsKeys()) {
      params.put(key, p.getParam(key));
    }
    Map<String, Double> secondary = new TreeMap<>();
    for (Map.Entry<String, Result> e : run.getSecondaryResults().entrySet()) {
      secondary.put(e.getKey(), e.getValue().getScore());
    }
    Result primary = run.getPrimaryResult();
    return new Measurement(
        full.substring(type + 1),
        params,
        p.getThreads(),
        primary.getScore(),
        primary.getScoreError(),
        primary.getScoreUnit(),
        secondary);
  }

  /** The time one operation took, in seconds, whichever unit JMH reported it in. */
  double secondsPerOp() {
    int slash = unit.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("not a time unit: " + unit);
    }
    String left = unit.substring(0, slash);
    String right = unit.substring(slash + 1);
    if (left.equals("ops")) {
      return seconds(right) / score;
    }
    if (right.equals("op")) {
      return score * seconds(left);
    }
    throw new IllegalArgumentException("not a time unit: " + unit);
  }

  /** Operations per second. */
  double opsPerSecond() {
    return 1 / secondsPerOp();
  }

  /** The relative error of the score, NaN if unknown. */
  double relativeError() {
    return score == 0 || Double.isNaN(error) ? Double.NaN : error / score;
  }

  /** A parameter as a number. */
  double param(String name) {
    String value = params.get(name);
    if (value == null) {
      throw new IllegalArgumentException(benchmark + " has no parameter " + name);
    }
    return Double.parseDouble(value);
  }

  private static double seconds(String unit) {
    return switch (unit) {
      case "s" -> 1;
      case "ms" -> 1e-3;
      case "us" -> 1e-6;
      case "ns" -> 1e-9;
      case "min" -> 60;
      default -> throw new IllegalArgumentException("unknown time unit " + unit);
    };
  }
}
