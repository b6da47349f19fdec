package org.stowage.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
  @DisplayName("the main job stages four units, retries one, dedups, and verifies every object; a rerun stores nothing")
  void mainJob() throws Exception {
    String root = dir.resolve("data").toString();
    String first = run(() -> StagingPipeline.main(new String[] {root}));
    assertTrue(first.contains("square     attempt 1 failed"), first);
    assertTrue(first.contains("square     attempt 2 succeeded"), first);
    assertTrue(first.contains("sum of squares = 333833500, sum of cubes = 250500250000"), first);
    assertTrue(first.contains("example-dag/cube/attempt-1/params.json   md5 9e91e7805fd17f3072e363f436d68659     56 bytes  already stored"), first);
    assertFalse(first.contains("FAILED"), first);
    try (FileStorage shared = new FileStorage(Path.of(root, "shared"))) {
      StorageManager reader = new StorageManager(dir, shared, "check", "reader");
      String squares = new String(reader.load("example-dag/square/attempt-2/squares.csv"), StandardCharsets.UTF_8);
      assertEquals(1000, squares.lines().count());
      assertEquals(3, new String(reader.load("example-dag/square/attempt-1/squares.csv"), StandardCharsets.UTF_8).lines().count(),
          "the failed attempt's partial output stays under its own namespace");
    }
    String second = run(() -> StagingPipeline.main(new String[] {root}));
    assertTrue(first.lines().anyMatch(l -> l.endsWith("bytes  stored")), first);
    assertTrue(second.lines().noneMatch(l -> l.endsWith("bytes  stored")), "a rerun stores nothing new:\n" + second);
    assertTrue(second.lines().filter(l -> l.endsWith("bytes  already stored")).count() >= 8, second);
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
