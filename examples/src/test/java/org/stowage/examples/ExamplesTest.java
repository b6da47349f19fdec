package org.stowage.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.filesystem.FileStorage;
import org.stowage.staging.StorageManager;

/** The README's programs run and do what they print. */
class ExamplesTest {
  @TempDir Path dir;

  private String run(ThrowingMain main) throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      main.run();
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    original.print(out);
    return out;
  }

  @Test
  @DisplayName("the main job stages four units, retries one, dedups, verifies every object, deletes the failed attempt and collects its content; a rerun finds every result stored")
  void mainJob() throws Exception {
    String root = dir.resolve("data").toString();
    String first = run(() -> StagingPipeline.main(new String[] {root}));
    assertTrue(first.contains("square     attempt 1 failed"), first);
    assertTrue(first.contains("square     attempt 2 succeeded"), first);
    assertTrue(first.contains("sum of squares = 333833500, sum of cubes = 250500250000"), first);
    assertTrue(first.contains("example-dag/cube/attempt-1/params.json   md5 9e91e7805fd17f3072e363f436d68659     56 bytes  already stored"), first);
    assertFalse(first.contains("FAILED"), first);
    // The lifecycle step deleted the failed attempt's namespace and collected its partial output.
    assertTrue(first.contains("shared    deleted [example-dag/square/attempt-1] (2 objects); reclaimed 1 content objects, 6 bytes; 0 dangling references"), first);
    assertTrue(first.contains("permanent deleted [] (0 objects); reclaimed 0 content objects, 0 bytes; 0 dangling references"), first);
    assertTrue(first.contains("example-dag/square/attempt-2/squares.csv       6543 bytes  loads, verified"), first);
    assertEquals(6, first.lines().filter(l -> l.endsWith("bytes  loads, verified")).count(), first);
    try (FileStorage shared = new FileStorage(Path.of(root, "shared"))) {
      StorageManager reader = new StorageManager(dir, shared, "check", "reader");
      String squares = new String(reader.load("example-dag/square/attempt-2/squares.csv"), StandardCharsets.UTF_8);
      assertEquals(1000, squares.lines().count());
      assertFalse(shared.exists("example-dag/square/attempt-1/squares.csv"), "the failed attempt's namespace is deleted");
      assertTrue(shared.exists("example-dag/square/attempt-2.succeeded"), "the success marker");
    }
    String second = run(() -> StagingPipeline.main(new String[] {root}));
    assertTrue(first.lines().anyMatch(l -> l.endsWith("bytes  stored")), first);
    // Only the failed attempt's partial output, which the first run collected, is stored again.
    assertEquals(List.of("example-dag/square/attempt-1/squares.csv"),
        second.lines().filter(l -> l.endsWith("bytes  stored")).map(l -> l.trim().split(" +")[1]).toList(),
        "a rerun finds every result already stored:\n" + second);
    assertEquals(7, second.lines().filter(l -> l.endsWith("bytes  already stored")).count(), second);
    assertTrue(second.contains("shared    deleted [example-dag/square/attempt-1] (2 objects); reclaimed 1 content objects, 6 bytes"), second);
  }

  @Test
  @DisplayName("the quick start stores, lists and loads back verified")
  void quickStart() throws Exception {
    String out = run(() -> QuickStart.main(new String[] {dir.resolve("qs").toString()}));
    assertTrue(out.contains("listed   [run-1/unit-a/result.json]"), out);
    assertTrue(out.contains("loaded   {\"energy\": -42.0}"), out);
  }

  @Test
  @DisplayName("the quick start takes a storage URI as well as a directory")
  void quickStartWithUri() throws Exception {
    String out = run(() -> QuickStart.main(new String[] {dir.resolve("by-uri").toUri().toString()}));
    assertTrue(out.contains("store    FileStorage[" + dir.resolve("by-uri")), out);
    assertTrue(out.contains("loaded   {\"energy\": -42.0}"), out);
    String memory = run(() -> QuickStart.main(new String[] {"memory:"}));
    assertTrue(memory.contains("store    MemoryStorage["), memory);
  }

  @FunctionalInterface
  private interface ThrowingMain {
    void run() throws Exception;
  }
}
