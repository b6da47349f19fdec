package org.stowage.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The runner's plumbing: JMH's generated list, unit conversion, pairing and failures. */
class RunBenchmarksTest {
  @Test
  @DisplayName("every compared benchmark is in JMH's generated BenchmarkList")
  void comparisonsNameGeneratedBenchmarks() throws IOException {
    Set<String> listed = new HashSet<>();
    try (InputStream in = getClass().getResourceAsStream("/META-INF/BenchmarkList")) {
      assertTrue(in != null, "META-INF/BenchmarkList is missing: JMH's annotation processor did not run");
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        // "JMH S <len> <class> S <len> <generated class> S <len> <method> ...": strings are "S"
        // tokens followed by their length and text.
        List<String> strings = new java.util.ArrayList<>();
        String[] f = line.split(" ");
        for (int i = 0; i + 2 < f.length && strings.size() < 3; i++) {
          if (f[i].equals("S")) {
            strings.add(f[i + 2]);
            i += 2;
          }
        }
        if (strings.size() == 3) {
          String type = strings.get(0).substring(strings.get(0).lastIndexOf('.') + 1);
          listed.add(type + "." + strings.get(2));
        }
      }
    }
    for (Comparison c : RunBenchmarks.COMPARISONS) {
      assertTrue(listed.contains(c.operation()), c.operation() + " is not a benchmark: " + listed);
      assertTrue(listed.contains(c.baseline()), c.baseline() + " is not a benchmark: " + listed);
    }
  }

  @Test
  @DisplayName("speeds are compared in operations per second whatever JMH's unit")
  void convertsUnits() {
    Measurement thrpt = measurement("A.op", Map.of(), 1, 500, "ops/s");
    Measurement perMs = measurement("A.op", Map.of(), 1, 0.5, "ops/ms");
    Measurement ss = measurement("A.op", Map.of(), 1, 2, "ms/op");
    Measurement us = measurement("A.op", Map.of(), 1, 2000, "us/op");
    assertEquals(500, thrpt.opsPerSecond(), 1e-9);
    assertEquals(500, perMs.opsPerSecond(), 1e-9);
    assertEquals(500, ss.opsPerSecond(), 1e-9);
    assertEquals(500, us.opsPerSecond(), 1e-9);
  }

  @Test
  @DisplayName("an operation is paired with the baseline of the same parameters and threads")
  void pairsByParamsAndThreads() {
    Comparison c =
        new Comparison("9", "test", "B.op", "B.base", 0.8, Comparison.Rate.megabytes("bytes"));
    List<Measurement> all =
        List.of(
            measurement("B.op", Map.of("bytes", "1000000"), 1, 100, "ops/s"),
            measurement("B.op", Map.of("bytes", "1000000"), 2, 150, "ops/s"),
            measurement("B.base", Map.of("bytes", "1000000"), 2, 200, "ops/s"),
            measurement("B.base", Map.of("bytes", "1000000"), 1, 50, "ops/s"),
            measurement("B.base", Map.of("bytes", "2000000"), 1, 10, "ops/s"));
    List<Comparison.Row> rows = c.rows(all);
    assertEquals(3, rows.size());
    assertEquals(2.0, rows.get(0).ratio(), 1e-9);
    assertEquals(Optional.of(true), rows.get(0).met());
    assertEquals(0.75, rows.get(1).ratio(), 1e-9);
    assertEquals(Optional.of(false), rows.get(1).met());
    assertTrue(rows.get(2).op().isEmpty(), "the 2 MB baseline has no operation");
    assertFalse(rows.get(2).complete());
    assertTrue(c.rate().format(rows.get(0).op().orElseThrow()).startsWith("100 MB/s"));
  }

  @Test
  @DisplayName("a failed benchmark and a write on a present put are failures; a missed target is not")
  void reportsFailures() {
    Comparison slow = new Comparison("1", "slow", "S.op", "S.base", 0.9, Comparison.Rate.ops());
    Comparison put = new Comparison("8", "put", "P.op", "P.base", Double.NaN, Comparison.Rate.ops());
    Comparison gone = new Comparison("2", "gone", "G.op", "G.base", 0.9, Comparison.Rate.ops());
    List<Measurement> all =
        List.of(
            measurement("S.op", Map.of(), 1, 1, "ops/s"),
            measurement("S.base", Map.of(), 1, 10, "ops/s"),
            new Measurement("P.op", Map.of(), 1, 5, 0, "ops/s", Map.of("writes", 2.0)),
            measurement("P.base", Map.of(), 1, 5, "ops/s"),
            measurement("G.base", Map.of(), 1, 5, "ops/s"));
    List<Comparison.Row> rows = new java.util.ArrayList<>();
    for (Comparison c : List.of(slow, put, gone)) {
      rows.addAll(c.rows(all));
    }
    Report report =
        new Report(BenchProfile.SMOKE, new RunBenchmarks.Machine(2, "cpu", "java", "os", 1, 1),
            rows, List.of(), List.of(), 1);
    List<String> failures = report.failures();
    assertEquals(2, failures.size(), failures.toString());
    assertTrue(failures.get(0).startsWith("P.op"), failures.toString());
    assertTrue(failures.get(1).startsWith("G.op"), failures.toString());
    String markdown = report.markdown();
    assertTrue(markdown.contains("| 0.10 | ≥ 0.9 | **no** |"), markdown);
    assertTrue(markdown.contains("FAILED"), markdown);
    assertTrue(report.svg().startsWith("<svg"), "an SVG");
  }

  @Test
  @DisplayName("targets print as the issues write them: 0.9 and 1.0 with one decimal, 1/1.5 as 0.67")
  void targetsAsWritten() {
    assertEquals("0.9", Report.target(0.9));
    assertEquals("1.0", Report.target(1.0));
    assertEquals("1.5", Report.target(1.5));
    assertEquals("0.67", Report.target(1 / 1.5));
  }

  private static Measurement measurement(
      String benchmark, Map<String, String> params, int threads, double score, String unit) {
    return new Measurement(benchmark, params, threads, score, Double.NaN, unit, Map.of());
  }
}
