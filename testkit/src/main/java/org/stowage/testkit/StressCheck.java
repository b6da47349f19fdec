package org.stowage.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.stream.Stream;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;

/**
 * Many threads, many locations, mixed operations, every result checked against what the writes
 * make possible (rules T1, T1.1, S2, S5, I1, I2, I6). Unlike {@link ParallelCheck}, which searches
 * every order of a few operations, this check runs thousands and looks only for what no order can
 * explain, which it can do in one pass:
 *
 * <ul>
 *   <li>every content written is new and describes itself (its first bytes are its id and size),
 *       so a read names the one write it saw, and a torn or mixed read shows;
 *   <li>a read (load, getMetadata, verify, exists, the metadata and bytes of a verified load) may
 *       not give a version older than one that something finished observing before the read began:
 *       if an operation that ended before the read started saw another state, and the version read
 *       had been written before that operation started, it was already replaced;
 *   <li>a read may not find nothing where something finished observing a version before it began,
 *       unless a delete could have come in between;
 *   <li>two CREATEs of one location may not both win unless a delete could have come in between;
 *   <li>a listing must show every object whose store finished before it started and that no delete
 *       could have touched since, must not show one deleted before it started and not stored again
 *       since, and must show nothing that no store wrote: no temporary name (I6);
 *   <li>{@code verify} never reports a change (nobody damages objects here), and {@code getMetadata}
 *       and the bytes seen together belong to one version (T1.1).
 * </ul>
 *
 * <p>Besides the mixed operations on a pool of locations (two of them hot: half the operations
 * go to them), it runs free-running CREATE races on fresh locations (see {@link #createRaces}),
 * listings without pause beside writers (I6), and writers and readers of one object in tight
 * loops (T1.1). Races in a careless backend last nanoseconds, or as long as the scheduler stops
 * the thread inside one; so the last three parts run for their share of the time rather than for
 * a count, and every check of a listing or a read is a few binary searches in the histories of
 * the locations ({@link LocationHistory}), however many operations ran.
 */
final class StressCheck {

  /** The shape of a run. */
  record Config(int threads, int rounds, int locations, int opsPerRound, int createRaces,
      int tightOps, int listingStores, long seed, long budgetMillis) {
    /** The run for {@code tuning}: more operations with more examples, within {@code budget}. */
    static Config of(Tuning tuning, long seed) {
      return new Config(6, 4, 48, 10 * tuning.examples(), 200 * tuning.examples(),
          2000 * tuning.examples(), 250 * tuning.examples(), seed,
          tuning.stressSeconds() * 1000L);
    }

    @Override
    public String toString() {
      return threads + " threads, up to " + createRaces + " CREATE races, " + rounds
          + " rounds of " + locations + " locations, up to " + opsPerRound
          + " operations per thread and round, tight loops of " + tightOps + " operations, "
          + listingStores + " stores per writer beside listings, seed " + seed + ", budget "
          + budgetMillis + " ms";
    }
  }

  /** Operation kinds. */
  enum Kind { STORE, CREATE, LOAD, LOAD_STREAM, METADATA, VERIFY, VERIFIED_LOAD, EXISTS, DELETE,
    DELETE_IF_EXISTS, LIST }

  /**
   * How many problems a run collects at most: a racy backend can give thousands, and describing
   * them all would take longer than the run.
   */
  static final int MAX_PROBLEMS = 100;

  /** What is at a location, as an operation saw it: a version id, or nothing. */
  static final long ABSENT = -1;

  /**
   * One operation as it ran: thread, kind, location (or prefix), its time span in nanoseconds,
   * the version it wrote (stores), what it observed ({@link #ABSENT}, a version id, or null when
   * it observed nothing definite), a listing, and a problem found at once (null if none).
   */
  static final class Event {
    final int thread;
    final Kind kind;
    final String location;
    final long start;
    long end;
    long wrote = ABSENT;
    Long seen;
    boolean removed;
    boolean maybeWrote;
    List<String> listed;
    String problem;
    String result = "";

    Event(int thread, Kind kind, String location, long start) {
      this.thread = thread;
      this.kind = kind;
      this.location = location;
      this.start = start;
    }

    String describe(long t0) {
      return String.format("[thread %d, %.1f-%.1f us] %s %s%s", thread, (start - t0) / 1e3,
          (end - t0) / 1e3, kind, Generators.quote(location), result.isEmpty() ? "" : " => " + result);
    }
  }

  /** A write: where, how big, its metadata, and when it started and ended. */
  record Write(String location, int size, Metadata metadata) {}

  private final ExternalStorage storage;
  private final Config config;
  private final Map<Long, Write> writes = new ConcurrentHashMap<>();
  private final Map<Metadata, Long> byMetadata = new ConcurrentHashMap<>();
  private final Map<Long, long[]> writeSpans = new ConcurrentHashMap<>();
  private final long t0 = System.nanoTime();
  /** What each part did, for the report. */
  private final List<String> parts = new ArrayList<>();

  StressCheck(ExternalStorage storage, Config config) {
    this.storage = storage;
    this.config = config;
  }

  /**
   * The result: how many operations ran, in how long, what each part took (its operations, and
   * the time spent running and checking them), and the problems found (empty if none).
   */
  record Report(int operations, long millis, String parts, List<String> problems) {}

  /**
   * Runs the workload and checks it; never throws for what the backend does. The parts run one
   * after the other, each within its share of the budget (CREATE races, mixed operations and
   * listings beside writers 15% each, then the tight loops until 90%, at least 45%; the last 10%
   * is kept for checking what the tight loops did), so that a slow one cannot crowd the others
   * out; once a part has found a problem, the later parts are skipped.
   */
  Report run() throws InterruptedException {
    long deadline = t0 + config.budgetMillis() * 1_000_000L * 9 / 10;
    int operations = 0;
    List<String> problems = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(config.threads());
    try {
      operations += createRaces(pool, phaseEnd(deadline, 15), problems);
      if (problems.isEmpty()) {
        operations += mixedRounds(pool, phaseEnd(deadline, 15), problems);
      }
      if (problems.isEmpty()) {
        operations += listingLoops(pool, phaseEnd(deadline, 15), problems);
      }
      if (problems.isEmpty()) {
        // The loops whose races are the shortest get what the others left.
        operations += tightLoops(pool, deadline, problems);
      }
    } finally {
      pool.shutdownNow();
    }
    long millis = (System.nanoTime() - t0) / 1_000_000;
    return new Report(operations, millis, String.join(", ", parts), problems);
  }

  /** The mixed operations: rounds under fresh namespaces, each checked when it ends. */
  private int mixedRounds(ExecutorService pool, long end, List<String> problems)
      throws InterruptedException {
    int operations = 0;
    long started = System.nanoTime();
    long checking = 0;
    for (int round = 0; round < config.rounds() && System.nanoTime() < end; round++) {
      String namespace = "stress/" + round;
      List<Future<List<Event>>> futures = new ArrayList<>();
      for (int t = 0; t < config.threads(); t++) {
        int thread = t;
        long seed = config.seed() * 31 + round * 1009L + t;
        futures.add(pool.submit(() -> mixed(thread, namespace, new SplittableRandom(seed), end)));
      }
      List<Event> roundEvents = new ArrayList<>();
      for (Future<List<Event>> f : futures) {
        roundEvents.addAll(collect(f, problems));
      }
      for (String location : pool(namespace)) {
        roundEvents.add(load(-1, location, Kind.LOAD));
      }
      operations += roundEvents.size();
      long checkStart = System.nanoTime();
      check(roundEvents, problems, pool);
      checking += System.nanoTime() - checkStart;
    }
    part("mixed", operations, started, checking);
    return operations;
  }

  /** Notes what a part did: its operations, its time, and how much of it went to checking. */
  private void part(String name, int operations, long started, long checkingNanos) {
    parts.add(String.format("%s: %d operations in %d ms (%d ms checking)", name, operations,
        (System.nanoTime() - started) / 1_000_000, checkingNanos / 1_000_000));
  }

  /** The end of a part that may take {@code percent} of the budget, or the budget's end. */
  private long phaseEnd(long deadline, int percent) {
    return Math.min(deadline, System.nanoTime() + config.budgetMillis() * 10_000L * percent);
  }

  /** Waits for a worker, at most until a minute past the budget's end. */
  private List<Event> collect(Future<List<Event>> f, List<String> problems)
      throws InterruptedException {
    long wait = t0 + (config.budgetMillis() + 60_000) * 1_000_000L - System.nanoTime();
    try {
      return f.get(Math.max(1, wait), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      problems.add("T1: a worker thread failed: " + e.getCause());
      return List.of();
    } catch (TimeoutException e) {
      problems.add("T1: an operation did not return within a minute of the time budget (a"
          + " deadlock, or a data structure broken by concurrent use)");
      return List.of();
    }
  }

  /** The pool of a round: two hot locations, then the others under three prefixes. */
  List<String> pool(String namespace) {
    List<String> out = new ArrayList<>();
    out.add(namespace + "/h/0");
    out.add(namespace + "/h/1");
    for (int i = 2; i < config.locations(); i++) {
      out.add(namespace + "/" + "abc".charAt(i % 3) + "/" + i);
    }
    return out;
  }

  private List<String> prefixes(String namespace) {
    return List.of(namespace + "/", namespace + "/h/", namespace + "/h", namespace + "/a/",
        namespace + "/b/1", namespace + "/c");
  }

  // ---------------------------------------------------------------------------------------------
  // The workload

  private List<Event> mixed(int thread, String namespace, SplittableRandom random, long deadline) {
    List<String> pool = pool(namespace);
    List<String> prefixes = prefixes(namespace);
    List<Event> out = new ArrayList<>();
    int counter = 0;
    for (int i = 0; i < config.opsPerRound() && System.nanoTime() < deadline; i++) {
      boolean hot = random.nextBoolean();
      String location = hot ? pool.get(random.nextInt(2)) : pool.get(2 + random.nextInt(pool.size() - 2));
      int dice = random.nextInt(100);
      if (dice < 22) {
        out.add(store(thread, location, nextId(thread, counter++), hot ? 12 + random.nextInt(60)
            : 12 + random.nextInt(600), random.nextInt(4) == 0 ? Kind.CREATE : Kind.STORE));
      } else if (dice < 34) {
        out.add(load(thread, location, random.nextBoolean() ? Kind.LOAD : Kind.LOAD_STREAM));
      } else if (dice < 44) {
        out.add(load(thread, location, Kind.METADATA));
      } else if (dice < 54) {
        out.add(load(thread, location, Kind.VERIFY));
      } else if (dice < 66) {
        out.add(load(thread, location, Kind.VERIFIED_LOAD));
      } else if (dice < 74) {
        out.add(load(thread, location, Kind.EXISTS));
      } else if (dice < 82) {
        out.add(remove(thread, location, random.nextBoolean()));
      } else {
        String prefix = hot ? prefixes.get(1 + random.nextInt(2))
            : prefixes.get(random.nextInt(prefixes.size()));
        out.add(list(thread, prefix));
      }
    }
    return out;
  }

  private long nextId(int thread, int counter) {
    return ((long) (thread + 1) << 40) | (config.seed() & 0xffff) << 24 | counter;
  }

  /** The self-describing content of {@code id}: its id, its size, then bytes drawn from the id. */
  static byte[] content(long id, int size) {
    byte[] data = new byte[size];
    SplittableRandom random = new SplittableRandom(id);
    for (int i = 12; i < size; i++) {
      data[i] = (byte) random.nextInt(256);
    }
    ByteBuffer.wrap(data).putLong(id).putInt(size);
    return data;
  }

  private Event store(int thread, String location, long id, int size, Kind kind) {
    byte[] data = content(id, size);
    Metadata md = Content.metadataOf(data);
    writes.put(id, new Write(location, size, md));
    byMetadata.put(md, id);
    Event e = new Event(thread, kind, location, System.nanoTime());
    e.maybeWrote = true;
    try {
      Metadata got = storage.storeBytes(location, data,
          kind == Kind.CREATE ? WritePolicy.CREATE : WritePolicy.OVERWRITE);
      e.end = System.nanoTime();
      e.wrote = id;
      e.seen = id;
      e.result = "stored #" + Long.toHexString(id);
      if (!md.equals(got)) {
        e.problem = "S1: the store returned " + got + " for content " + md;
      }
    } catch (ExistingExternalResourceException refused) {
      e.end = System.nanoTime();
      e.maybeWrote = kind != Kind.CREATE;
      e.result = "ExistingExternalResourceException";
      if (kind != Kind.CREATE) {
        e.problem = "S5: an OVERWRITE store threw " + refused;
      }
    } catch (RuntimeException | Error other) {
      e.end = System.nanoTime();
      e.result = other.toString();
      e.problem = "T1: a store under concurrent use threw " + other;
    }
    writeSpans.put(id, new long[] {e.start, e.end});
    return e;
  }

  private Event load(int thread, String location, Kind kind) {
    Event e = new Event(thread, kind, location, System.nanoTime());
    try {
      switch (kind) {
        case LOAD -> sawBytes(e, storage.loadBytes(location));
        case LOAD_STREAM -> {
          try (InputStream in = storage.loadStream(location)) {
            sawBytes(e, in.readAllBytes());
          }
        }
        case METADATA -> sawMetadata(e, storage.getMetadata(location), "getMetadata");
        case VERIFY -> sawMetadata(e, storage.verify(location), "verify");
        case EXISTS -> {
          boolean exists = storage.exists(location);
          e.end = System.nanoTime();
          e.seen = exists ? null : ABSENT;
          e.result = String.valueOf(exists);
        }
        case VERIFIED_LOAD -> {
          Metadata md = storage.getMetadata(location);
          try {
            byte[] data = storage.loadBytes(location, md);
            sawBytes(e, data);
            Long version = byMetadata.get(md);
            if (e.problem == null && (version == null || e.seen == null || !version.equals(e.seen))) {
              e.problem = "T1.1: getMetadata gave " + md + " and a load verified against it gave"
                  + " the bytes of another version";
            }
          } catch (ChangedExternalResourceException changed) {
            e.end = System.nanoTime();
            e.result = "getMetadata " + md + ", then ChangedExternalResourceException";
            e.seen = null; // allowed only if a write or delete overlapped; checked later
            e.problem = "?changed";
          }
        }
        default -> throw new AssertionError(kind);
      }
    } catch (MissingExternalResourceException missing) {
      e.end = System.nanoTime();
      e.seen = ABSENT;
      e.result = "MissingExternalResourceException";
    } catch (ChangedExternalResourceException changed) {
      e.end = System.nanoTime();
      e.result = changed.toString();
      e.problem = "T1.1: " + kind + " reported a change though nothing damaged the object: the"
          + " bytes and the metadata it saw belong to different versions (" + changed.getMessage()
          + ")";
    } catch (ExternalResourceException gaveUp) {
      e.end = System.nanoTime();
      e.result = gaveUp.toString();
      // Reading bytes with their metadata may give up while writers change the object on every
      // attempt; only if writers ran meanwhile, checked later.
      e.problem = gaveUp.getClass() == ExternalResourceException.class
          && (kind == Kind.VERIFY || kind == Kind.VERIFIED_LOAD)
          ? "?gave up" : "T1: " + kind + " under concurrent use threw " + gaveUp;
    } catch (IOException | RuntimeException | Error other) {
      e.end = System.nanoTime();
      e.result = other.toString();
      e.problem = "T1: " + kind + " under concurrent use threw " + other;
    }
    return e;
  }

  private void sawBytes(Event e, byte[] data) {
    e.end = System.nanoTime();
    if (data.length < 12) {
      e.problem = "S2: a load gave " + data.length + " bytes, which no store wrote (torn or mixed)";
      e.result = data.length + " bytes";
      return;
    }
    long id = ByteBuffer.wrap(data).getLong();
    Write w = writes.get(id);
    e.result = "#" + Long.toHexString(id);
    if (w == null || !w.location().equals(e.location) || w.size() != data.length
        || !Arrays.equals(content(id, w.size()), data)) {
      e.problem = "S2: a load gave " + data.length + " bytes that no store to this location wrote"
          + " whole (torn, mixed or misplaced)";
      return;
    }
    e.seen = id;
  }

  private void sawMetadata(Event e, Metadata md, String call) {
    e.end = System.nanoTime();
    Long id = byMetadata.get(md);
    e.result = md + (id == null ? "" : " (#" + Long.toHexString(id) + ")");
    if (id == null || !writes.get(id).location().equals(e.location)) {
      e.problem = "T1.1: " + call + " gave " + md + ", the metadata of no version stored here";
      return;
    }
    e.seen = id;
  }

  private Event remove(int thread, String location, boolean ifExists) {
    Event e = new Event(thread, ifExists ? Kind.DELETE_IF_EXISTS : Kind.DELETE, location,
        System.nanoTime());
    try {
      if (ifExists) {
        e.removed = storage.deleteIfExists(location);
      } else {
        storage.delete(location);
        e.removed = true;
      }
      e.end = System.nanoTime();
      e.result = e.removed ? "removed" : "nothing there";
      e.seen = ABSENT; // afterwards, nothing is there
    } catch (MissingExternalResourceException missing) {
      e.end = System.nanoTime();
      e.seen = ABSENT;
      e.result = "MissingExternalResourceException";
    } catch (RuntimeException | Error other) {
      e.end = System.nanoTime();
      e.removed = true; // it may have removed
      e.result = other.toString();
      e.problem = "T1: a delete under concurrent use threw " + other;
    }
    return e;
  }

  private Event list(int thread, String prefix) {
    Event e = new Event(thread, Kind.LIST, prefix, System.nanoTime());
    try (Stream<String> listed = storage.iterContents(prefix)) {
      e.listed = listed.toList();
      e.end = System.nanoTime();
      e.result = e.listed.size() + " locations";
    } catch (RuntimeException | Error other) {
      e.end = System.nanoTime();
      e.result = other.toString();
      e.problem = "T1: a listing under concurrent use threw " + other;
    }
    return e;
  }

  // ---------------------------------------------------------------------------------------------
  // Tight loops

  /**
   * Threads in tight loops until {@code writeEnd} (or until each writer has run {@link
   * Config#tightOps()} operations; race windows are short, so these loops run for a time rather
   * than a count, to meet the other threads often enough on a busy machine): half the threads
   * overwrite one small object (and now and then delete it, so that it is also created anew)
   * while the other half verify it, read its metadata, load it and now and then list it.
   */
  private int tightLoops(ExecutorService pool, long writeEnd, List<String> problems)
      throws InterruptedException {
    String hot = "stress/tight/h";
    // Mostly verify: it reads bytes and metadata in one call, so a version seen apart shows in
    // one operation. A listing now and then: a writer that the scheduler stops inside its race
    // window leaves it open for milliseconds, and whatever the readers do meanwhile sees it.
    Kind[] kinds = {Kind.VERIFY, Kind.VERIFY, Kind.VERIFY, Kind.METADATA, Kind.LOAD,
        Kind.VERIFIED_LOAD, Kind.EXISTS, Kind.LIST};
    return writersBeside("tight loops", pool, writeEnd, problems,
        (thread, i) -> i % 16 == 15 ? remove(thread, hot, true)
            : store(thread, hot, nextId(200 + thread, i), 12 + (i & 7), Kind.STORE),
        config.tightOps(),
        (thread, i) -> {
          Kind kind = kinds[(thread + i) % kinds.length];
          return kind == Kind.LIST ? list(thread, "stress/tight/") : load(thread, hot, kind);
        },
        Integer.MAX_VALUE);
  }

  /**
   * Listings in tight loops beside writers, until {@code end} (or until each writer has run
   * {@link Config#listingStores()} operations, or each lister has listed as often; checking a
   * listing takes about as long as making one): half the threads store, replace, create and now
   * and then delete sixteen small objects under two prefixes, while the other half list them
   * (mostly the whole namespace, so that every store in flight is within the listing). A
   * temporary name that a careless store shows for a few hundred nanoseconds, or for as long as
   * the scheduler stops that store, then meets a listing (I6).
   */
  private int listingLoops(ExecutorService pool, long end, List<String> problems)
      throws InterruptedException {
    String namespace = "stress/list";
    List<String> locations = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      locations.add(namespace + "/" + "ab".charAt(i % 2) + "/" + i);
    }
    List<String> prefixes = List.of(namespace + "/", namespace + "/a/", namespace + "/b");
    return writersBeside("listings beside writers", pool, end, problems,
        (thread, i) -> {
          // Drawn from the seed, thread and step, so that the run is the same whatever the pace.
          SplittableRandom random =
              new SplittableRandom(config.seed() * 37 + thread * 1_000_003L + i);
          String location = locations.get(random.nextInt(locations.size()));
          return i % 16 == 15 ? remove(thread, location, random.nextBoolean())
              : store(thread, location, nextId(300 + thread, i), 12 + random.nextInt(48),
                  random.nextInt(8) == 0 ? Kind.CREATE : Kind.STORE);
        },
        config.listingStores(),
        // Mostly the whole namespace; now and then a prefix, or a verify (as in the tight loops).
        (thread, i) -> switch (i % 8) {
          case 3 -> list(thread, prefixes.get(1 + (i / 8) % 2));
          case 7 -> load(thread, locations.get((i / 8) % locations.size()), Kind.VERIFY);
          default -> list(thread, prefixes.get(0));
        },
        config.listingStores());
  }

  /** The {@code i}-th operation of a loop's thread. */
  @FunctionalInterface
  private interface Step {
    Event run(int thread, int i);
  }

  /**
   * Runs {@code writer} on half the threads, {@code count} times each or until {@code end}, and
   * {@code observer} on the others as long as a writer runs, at most {@code observations} times
   * each; then checks what they saw. Returns the number of operations.
   */
  private int writersBeside(String name, ExecutorService pool, long end, List<String> problems,
      Step writer, int count, Step observer, int observations) throws InterruptedException {
    long started = System.nanoTime();
    int writers = config.threads() / 2;
    AtomicInteger writing = new AtomicInteger(writers);
    List<Future<List<Event>>> futures = new ArrayList<>();
    for (int t = 0; t < config.threads(); t++) {
      int thread = t;
      futures.add(pool.submit(() -> {
        List<Event> out = new ArrayList<>();
        if (thread < writers) {
          try {
            for (int i = 0; i < count && System.nanoTime() < end; i++) {
              out.add(writer.run(thread, i));
            }
          } finally {
            writing.decrementAndGet();
          }
        } else {
          for (int i = 0; i < observations && writing.get() > 0 && System.nanoTime() < end;
              i++) {
            out.add(observer.run(thread, i));
          }
        }
        return out;
      }));
    }
    List<Event> events = new ArrayList<>();
    for (Future<List<Event>> f : futures) {
      events.addAll(collect(f, problems));
    }
    long checkStart = System.nanoTime();
    check(events, problems, pool);
    part(name, events.size(), started, System.nanoTime() - checkStart);
    return events.size();
  }

  // ---------------------------------------------------------------------------------------------
  // CREATE races

  /**
   * CREATE races until {@code deadline} or {@link Config#createRaces()} rounds: in round
   * {@code r} every thread stores its own content to the fresh location {@code stress/create/r}
   * with CREATE. The rounds run free, with no barrier that waits for every thread: the second
   * thread to finish its try of a round releases the next one, and the threads that finished
   * before it spin until it does, so that all threads that are running at that moment start the
   * next round within nanoseconds of each other. A thread the scheduler has stopped joins the
   * round that is under way when it runs again (and one stopped inside a careless CREATE, between
   * its check and its act, loses its race to nobody: that shows as two winners too). On a busy
   * machine, where the threads seldom all run at once, the rounds go on with those that do,
   * rather than waiting for the rest.
   */
  private int createRaces(ExecutorService pool, long deadline, List<String> problems)
      throws InterruptedException {
    long started = System.nanoTime();
    AtomicInteger round = new AtomicInteger();
    AtomicIntegerArray tried = new AtomicIntegerArray(config.createRaces());
    List<Future<List<Event>>> futures = new ArrayList<>();
    for (int t = 0; t < config.threads(); t++) {
      int thread = t;
      futures.add(pool.submit(() -> {
        List<Event> out = new ArrayList<>();
        for (int r = round.get(); r < config.createRaces() && System.nanoTime() < deadline;
            r = round.get()) {
          Event e = store(thread, "stress/create/" + r, nextId(100 + thread, r), 12 + thread,
              Kind.CREATE);
          out.add(e);
          tried.incrementAndGet(r);
          awaitNextRound(round, tried, r, deadline);
        }
        return out;
      }));
    }
    List<Event> events = new ArrayList<>();
    for (Future<List<Event>> f : futures) {
      events.addAll(collect(f, problems));
    }
    long checkStart = System.nanoTime();
    Map<String, List<Event>> byLocation = new HashMap<>();
    for (Event e : events) {
      byLocation.computeIfAbsent(e.location, k -> new ArrayList<>()).add(e);
      if (e.problem != null && problems.size() < MAX_PROBLEMS) {
        problems.add(e.problem + "\n    " + e.describe(t0));
      }
    }
    for (Map.Entry<String, List<Event>> race : byLocation.entrySet()) {
      List<Event> tries = race.getValue();
      long winners = tries.stream().filter(e -> e.wrote != ABSENT).count();
      if ((winners > 1 || winners == 0 && tries.stream().noneMatch(e -> e.maybeWrote))
          && problems.size() < MAX_PROBLEMS) {
        problems.add("S5: " + winners + " of " + tries.size() + " CREATE stores of the fresh"
            + " location " + Generators.quote(race.getKey()) + " won (nothing deleted it);"
            + " exactly one must:\n    "
            + String.join("\n    ", tries.stream().map(e -> e.describe(t0)).toList()));
      }
    }
    part("CREATE races (" + byLocation.size() + " rounds)", events.size(), started,
        System.nanoTime() - checkStart);
    return events.size();
  }

  /**
   * Waits until round {@code r} is over, and ends it once two threads have tried it: a thread
   * alone on a busy machine would otherwise win round after round with nobody to race. Spins, for
   * a start within nanoseconds of the other threads, then yields, so that a busy machine runs the
   * others. If no second thread has come a millisecond later, ends the round anyway.
   */
  private static void awaitNextRound(AtomicInteger round, AtomicIntegerArray tried, int r,
      long deadline) {
    long since = System.nanoTime();
    for (int spins = 0; round.get() == r; spins++) {
      long now = spins < 2000 ? 0 : System.nanoTime();
      if (tried.get(r) >= 2 || now - since > 1_000_000 || now > deadline) {
        round.compareAndSet(r, r + 1);
      } else if (spins < 2000) {
        Thread.onSpinWait();
      } else {
        Thread.yield();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The check

  /**
   * Checks one round's events; adds what no order of them can explain to {@code problems}. Many
   * listings are checked in parallel on {@code pool}, the run's threads (idle while it checks).
   */
  void check(List<Event> events, List<String> problems, ExecutorService pool) {
    Map<String, List<Event>> byLocation = new HashMap<>();
    List<Event> listings = new ArrayList<>();
    for (Event e : events) {
      if (e.kind == Kind.LIST) {
        listings.add(e);
      } else {
        byLocation.computeIfAbsent(e.location, k -> new ArrayList<>()).add(e);
      }
    }
    for (Event e : events) {
      if (e.problem != null && !e.problem.startsWith("?") && problems.size() < MAX_PROBLEMS) {
        problems.add(e.problem + "\n    " + e.describe(t0));
      }
    }
    Map<String, LocationHistory> histories = new HashMap<>();
    for (Map.Entry<String, List<Event>> entry : byLocation.entrySet()) {
      LocationHistory history = new LocationHistory(entry.getValue());
      histories.put(entry.getKey(), history);
      checkLocation(entry.getValue(), history, problems);
    }
    checkListings(listings, histories, problems, pool);
  }

  /**
   * Checks the listings, in parallel on the run's threads when there are many (thousands from
   * the listing loops): the check only reads the histories.
   */
  private void checkListings(List<Event> listings, Map<String, LocationHistory> histories,
      List<String> problems, ExecutorService pool) {
    int chunks = listings.size() < 2000 ? 1 : config.threads();
    List<Future<List<String>>> futures = new ArrayList<>();
    for (int c = 1; c < chunks; c++) {
      List<Event> chunk = listings.subList(listings.size() * c / chunks,
          listings.size() * (c + 1) / chunks);
      futures.add(pool.submit(() -> checkListings(chunk, histories)));
    }
    List<String> found = new ArrayList<>(
        checkListings(listings.subList(0, listings.size() / chunks), histories));
    for (Future<List<String>> f : futures) {
      try {
        found.addAll(f.get());
      } catch (ExecutionException e) {
        throw new IllegalStateException("checking the listings failed", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while checking the listings", e);
      }
    }
    problems.addAll(found.subList(0,
        Math.max(0, Math.min(found.size(), MAX_PROBLEMS - problems.size()))));
  }

  private List<String> checkListings(List<Event> listings, Map<String, LocationHistory> histories) {
    List<String> found = new ArrayList<>();
    for (Event listing : listings) {
      if (listing.listed != null && found.size() < MAX_PROBLEMS) {
        checkListing(listing, histories, found);
      }
    }
    return found;
  }

  private void checkLocation(List<Event> ops, LocationHistory history, List<String> problems) {
    List<Event> observations = ops.stream()
        .filter(e -> e.seen != null && (e.kind != Kind.DELETE
            && e.kind != Kind.DELETE_IF_EXISTS || e.removed))
        .sorted(Comparator.comparingLong(e -> e.end))
        .toList();
    // Prefix summaries over the observations in order of their end: the latest start, what that
    // one saw, the latest start of one that saw something else, and the latest start of one that
    // saw a version.
    int n = observations.size();
    long[] ends = new long[n];
    Event[] latest = new Event[n];
    Event[] latestOther = new Event[n];
    Event[] latestVersion = new Event[n];
    for (int i = 0; i < n; i++) {
      Event o = observations.get(i);
      ends[i] = o.end;
      Event top = i == 0 ? null : latest[i - 1];
      Event other = i == 0 ? null : latestOther[i - 1];
      if (top == null || o.start > top.start) {
        if (top != null && !top.seen.equals(o.seen)) {
          other = top;
        } else if (other != null && other.seen.equals(o.seen)) {
          other = null; // cannot happen: other differs from top, which equals o
        }
        top = o;
      } else if (!o.seen.equals(top.seen) && (other == null || o.start > other.start)) {
        other = o;
      }
      latest[i] = top;
      latestOther[i] = other;
      Event version = i == 0 ? null : latestVersion[i - 1];
      latestVersion[i] = o.seen != ABSENT && (version == null || o.start > version.start) ? o : version;
    }
    for (Event read : ops) {
      if (problems.size() >= MAX_PROBLEMS) {
        return;
      }
      if (read.problem != null && read.problem.startsWith("?")) {
        if (!history.writerWithin(read.start, read.end)
            && !history.removalWithin(read.start, read.end)) {
          problems.add("T1.1: " + ("?changed".equals(read.problem)
              ? "a load verified against the metadata getMetadata had just given failed as changed"
              : read.kind + " gave up") + ", with no store or delete running meanwhile\n    "
              + read.describe(t0));
        }
        continue;
      }
      if (read.seen == null || read.wrote != ABSENT || read.kind == Kind.DELETE
          || read.kind == Kind.DELETE_IF_EXISTS) {
        continue;
      }
      long x = read.seen;
      int k = LocationHistory.countBefore(ends, read.start);
      if (x != ABSENT) {
        long[] span = writeSpans.get(x);
        if (span != null && span[0] > read.end) {
          problems.add("T1: a read gave a version whose store had not started\n    "
              + read.describe(t0));
          continue;
        }
        if (k == 0 || span == null) {
          continue;
        }
        Event o = latest[k - 1].seen == x ? latestOther[k - 1] : latest[k - 1];
        if (o != null && span[1] < o.start) {
          problems.add(rule(o, read) + ": a read gave a version that was already replaced before it began: the"
              + " version was stored before this operation saw "
              + (o.seen == ABSENT ? "nothing there" : "another version") + ", and this operation"
              + " ended before the read started\n    " + o.describe(t0) + "\n    "
              + read.describe(t0) + "\n    (the version read was stored in " + spanText(span) + ")");
        }
      } else if (k > 0 && latestVersion[k - 1] != null) {
        Event o = latestVersion[k - 1];
        if (!history.removalWithin(o.start, read.end)) {
          problems.add(rule(o, read) + ": a read found nothing, though this operation saw an object there"
              + " before the read began and no delete ran since\n    " + o.describe(t0)
              + "\n    " + read.describe(t0));
        }
      }
    }
    List<Event> creates = ops.stream().filter(e -> e.kind == Kind.CREATE && e.wrote != ABSENT)
        .sorted(Comparator.comparingLong(e -> e.start)).toList();
    for (int i = 1; i < creates.size() && problems.size() < MAX_PROBLEMS; i++) {
      Event a = creates.get(i - 1);
      Event b = creates.get(i);
      if (!history.removalWithin(Math.min(a.start, b.start), Math.max(a.end, b.end))) {
        problems.add("S5: two CREATE stores of one location both won, with no delete between them"
            + "\n    " + a.describe(t0) + "\n    " + b.describe(t0));
      }
    }
  }

  /**
   * Checks a listing against the histories of the locations: a few look-ups per location, so
   * that thousands of listings during thousands of writes are checked in a moment.
   */
  private void checkListing(Event listing, Map<String, LocationHistory> histories,
      List<String> problems) {
    String prefix = listing.location;
    List<String> listed = listing.listed;
    for (int i = 1; i < listed.size(); i++) {
      if (Location.UTF8_ORDER.compare(listed.get(i - 1), listed.get(i)) >= 0) {
        problems.add("I2: a listing during writes must be in UTF-8 order, each location once: "
            + Generators.quote(listed.get(i - 1)) + " before " + Generators.quote(listed.get(i))
            + "\n    " + listing.describe(t0));
        break;
      }
    }
    for (String name : listed) {
      if (!name.startsWith(prefix)) {
        problems.add("I1: the listing of " + Generators.quote(prefix) + " gave "
            + Generators.quote(name) + "\n    " + listing.describe(t0));
        continue;
      }
      LocationHistory history = histories.get(name);
      if (history == null || !history.writtenBefore(listing.end)) {
        problems.add("I6: a listing during writes gave " + Generators.quote(name) + ", which no"
            + " store had written: a temporary or internal name must never be visible\n    "
            + listing.describe(t0));
      }
    }
    Set<String> shown = new HashSet<>(listed);
    for (Map.Entry<String, LocationHistory> entry : histories.entrySet()) {
      String location = entry.getKey();
      if (!location.startsWith(prefix)) {
        continue;
      }
      LocationHistory history = entry.getValue();
      if (!shown.contains(location)) {
        Event w = history.lastStoreBefore(listing.start);
        if (w != null && !history.removalWithin(w.start, listing.end)) {
          problems.add("I1: a listing must show an object stored before it started and not"
              + " deleted since; missing " + Generators.quote(location) + "\n    "
              + w.describe(t0) + "\n    " + listing.describe(t0));
        }
      } else {
        Event d = history.lastRemovalBefore(listing.start);
        if (d != null && !history.writerWithin(d.start, listing.end)) {
          problems.add("I1: a listing must not show an object deleted before it started and not"
              + " stored since; it shows " + Generators.quote(location) + "\n    "
              + d.describe(t0) + "\n    " + listing.describe(t0));
        }
      }
    }
  }

  /**
   * T1.1 when one of the two saw metadata and the other bytes (the two parts of an object seen
   * apart), else T1.
   */
  private static String rule(Event a, Event b) {
    return bytesSeen(a) != bytesSeen(b) && !seesNoPart(a) && !seesNoPart(b) ? "T1.1" : "T1";
  }

  private static boolean bytesSeen(Event e) {
    return e.kind == Kind.LOAD || e.kind == Kind.LOAD_STREAM;
  }

  private static boolean seesNoPart(Event e) {
    return e.kind == Kind.STORE || e.kind == Kind.CREATE || e.kind == Kind.DELETE
        || e.kind == Kind.DELETE_IF_EXISTS || e.kind == Kind.EXISTS;
  }

  private String spanText(long[] span) {
    return String.format("%.1f-%.1f us", (span[0] - t0) / 1e3, (span[1] - t0) / 1e3);
  }

}
