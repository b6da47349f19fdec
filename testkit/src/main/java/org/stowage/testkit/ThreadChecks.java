package org.stowage.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.InvalidLocationException;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;

/** Rules T1 to T3. */
abstract class ThreadChecks extends ContractGroup {

  ThreadChecks(ExternalStorageContract contract) {
    super(contract);
  }

  @Test
  @DisplayName("T1 property: concurrent operations are linearizable per location")
  void linearizable() {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      ParallelCheck check = new ParallelCheck(new ExternalStorage[] {storage}, scratch, pool);
      Theories.check(tuning, "T1", "concurrent operations are linearizable per location",
          tuning.examples(5), 20,
          ParallelCheck.histories(caps.maxObjectSize()).describedAs(ParallelCheck::describe),
          check::check);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("T1 concurrent stores to distinct locations all land")
  void manyWriters() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      CyclicBarrier start = new CyclicBarrier(4);
      List<Future<?>> writers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        writers.add(pool.submit(() -> {
          start.await(60, TimeUnit.SECONDS);
          for (int i = 0; i < 25; i++) {
            storage.storeBytes("t1/" + thread + "/" + i, new Content(i, thread).bytes());
          }
          return null;
        }));
      }
      for (Future<?> writer : writers) {
        getOrRethrow(writer);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(100, list("t1/").size(), "T1: every concurrent store must land");
    for (int t = 0; t < 4; t++) {
      for (int i = 0; i < 25; i++) {
        assertEquals(new Content(i, t).metadata(), storage.getMetadata("t1/" + t + "/" + i),
            "T1: each concurrent store must land whole, at its own location");
      }
    }
  }

  @Test
  @DisplayName("T1 two instances sharing one root behave as one store")
  void sharedRoot() throws Exception {
    assumeCapability(caps.crossProcessSafety(), "crossProcessSafety",
        "the test opens a second instance over the same root");
    try (ExternalStorage second = Objects.requireNonNull(newStorage(), "newStorage()")) {
      Content a = new Content(10, 1);
      storage.storeBytes("t1/shared", a.bytes());
      assertTrue(second.exists("t1/shared"),
          "T1: with crossProcessSafety, a second newStorage() must see the first one's objects");
      assertArrayEquals(a.bytes(), second.loadBytes("t1/shared"), "T1: load through the second");
      second.storeBytes("t1/other", a.bytes());
      assertEquals(List.of("t1/other", "t1/shared"), list(""), "T1: list through the first");
      second.delete("t1/shared");
      assertFalse(storage.exists("t1/shared"), "T1: a delete through the second");
      createRaces(new ExternalStorage[] {storage, second}, 4, 8);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        ParallelCheck check =
            new ParallelCheck(new ExternalStorage[] {storage, second}, scratch, pool);
        Theories.check(tuning, "T1", "operations through two instances are linearizable",
            tuning.examples(10), 20,
            ParallelCheck.histories(caps.maxObjectSize()).describedAs(ParallelCheck::describe),
            check::check);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  @DisplayName("T2 errors are typed and their messages name the backend and the location")
  void errors() {
    String name = storage.toString();
    assertNotNull(name, "T2: toString names the backend");
    ExternalResourceException missing = assertThrows(MissingExternalResourceException.class,
        () -> storage.loadBytes("t2/none"), "T2: a load of nothing");
    assertNames(missing, name, "t2/none");
    assertNames(assertThrows(MissingExternalResourceException.class,
        () -> storage.delete("t2/none"), "T2: a delete of nothing"), name, "t2/none");
    assertNames(assertThrows(MissingExternalResourceException.class,
        () -> storage.getMetadata("t2/none"), "T2: getMetadata of nothing"), name, "t2/none");
    storage.storeBytes("t2/x", new byte[] {1});
    assertNames(assertThrows(ExistingExternalResourceException.class,
        () -> storage.storeBytes("t2/x", new byte[] {2}, WritePolicy.CREATE),
        "T2: a refused CREATE"), name, "t2/x");
    assertNames(assertThrows(ChangedExternalResourceException.class,
        () -> storage.loadBytes("t2/x", new Content(1, 9).metadata()),
        "T2: a verified load against other metadata"), name, "t2/x");
    ExternalResourceException failed = assertThrows(ExternalResourceException.class,
        () -> storage.storeStream("t2/y", new Content(100, 1).failingStream()),
        "T2: a store whose source fails");
    assertNames(failed, name, "t2/y");
    assertCauseIsTheSourcesError(failed);
    InvalidLocationException invalid = assertThrows(InvalidLocationException.class,
        () -> storage.loadBytes("t2/../x"), "T2: an invalid location");
    assertTrue(invalid.getMessage().contains("t2/../x"), "T2: the message names the location");
  }

  @Test
  @DisplayName("T2 after close() every method throws IllegalStateException, and close() is idempotent")
  void closed() {
    storage.storeBytes("t2/c", new byte[] {1});
    storage.close();
    assertTrue(storage.isClosed(), "isClosed after close");
    Metadata md = new Content(1, 1).metadata();
    Path file = scratch.file(new Content(1, 1));
    List<Executable> calls = List.of(
        () -> storage.storeBytes("t2/c", new byte[] {1}),
        () -> storage.storeStream("t2/c", new Content(1, 1).unknownLengthStream()),
        () -> storage.storePath("t2/c", file),
        () -> storage.loadStream("t2/c"),
        () -> storage.loadStream("t2/c", md),
        () -> storage.loadBytes("t2/c"),
        () -> storage.loadBytes("t2/c", md),
        () -> storage.exists("t2/c"),
        () -> storage.getMetadata("t2/c"),
        () -> storage.verify("t2/c"),
        () -> storage.uri("t2/c"),
        () -> storage.delete("t2/c"),
        () -> storage.deleteIfExists("t2/c"),
        () -> storage.iterContents(""),
        () -> storage.iterContents("", "t2/a"),
        () -> storage.iterObjects("", "", 0));
    for (Executable call : calls) {
      assertThrows(IllegalStateException.class, call,
          "T2: every method of a closed storage must throw IllegalStateException");
    }
    assertDoesNotThrow(storage::close, "T2: close() twice is harmless");
  }

  @Test
  @DisplayName("T3 the backend exposes no hook publicly and adds no overload of an API method")
  void onlyTheBaseApi() {
    Set<String> api = new TreeSet<>();
    Set<String> hooks = new TreeSet<>();
    for (Method m : ExternalStorage.class.getDeclaredMethods()) {
      if (Modifier.isPublic(m.getModifiers()) && !m.getName().equals("toString")) {
        api.add(m.getName());
      } else if (Modifier.isProtected(m.getModifiers())) {
        hooks.add(m.getName());
      }
    }
    List<String> problems = new ArrayList<>();
    for (Class<?> c = storage.getClass(); c != ExternalStorage.class; c = c.getSuperclass()) {
      for (Method m : c.getDeclaredMethods()) {
        if (!Modifier.isPublic(m.getModifiers()) || m.isSynthetic() || m.isBridge()) {
          continue;
        }
        if (hooks.contains(m.getName())) {
          problems.add(c.getName() + "." + m.getName() + " makes a hook public");
        } else if (api.contains(m.getName())) {
          problems.add(c.getName() + "." + m.getName()
              + " adds a public overload of an API method, which would skip the base class's"
              + " checks");
        }
      }
    }
    assertEquals(List.of(), problems,
        "T3: only the base class's public methods are the API; backends implement protected hooks");
  }

  @Test
  @DisplayName("T1 T1.1 S5 I6 stress: many threads, locations and mixed operations; every result"
      + " possible, no temporary name listed")
  void stress() throws InterruptedException {
    long seed = tuning.nextSeed();
    StressCheck.Config config = StressCheck.Config.of(tuning, seed);
    StressCheck.Report report = new StressCheck(storage, config).run();
    String summary = "stress check: " + report.operations() + " operations in " + report.millis()
        + " ms (" + config + "); replay with -D" + Tuning.SEED_KEY + "=" + seed;
    System.out.println(summary + "\n  " + report.parts());
    if (!report.problems().isEmpty()) {
      List<String> shown = report.problems().stream().limit(8).toList();
      fail(shown.get(0).substring(0, shown.get(0).indexOf(':')) + ": the stress check found "
          + (report.problems().size() >= StressCheck.MAX_PROBLEMS ? "at least " : "")
          + report.problems().size() + " result(s) that no order of the operations explains. "
          + summary + " (the interleaving is up to the threads)\n" + String.join("\n", shown)
          + (report.problems().size() > shown.size() ? "\n..." : ""));
    }
  }
}
