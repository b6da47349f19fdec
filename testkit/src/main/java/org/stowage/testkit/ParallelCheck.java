package org.stowage.testkit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;
import org.stowage.ExternalStorage;
import org.stowage.WritePolicy;

/**
 * The parallel check (rule T1): short sequences of operations run on several threads at once
 * against one store, or against several instances sharing one root; then the results on each
 * location must be explainable by some order of that location's operations which keeps their
 * real-time order (an operation that ended before another began comes first) and in which every
 * operation gives what the sequential contract says. That is linearizability per location, checked
 * by a search over the orders, which is cheap for the few operations of one run.
 *
 * <p>After the threads end, one final load of each location joins the history, so that a lost
 * write shows even when no thread read the location afterwards.
 */
final class ParallelCheck {
  /** Two locations, one of them nested, so operations collide often. */
  static final List<String> LOCATIONS = List.of("p", "q/r");

  private static final long TIMEOUT_SECONDS = 60;

  private final ExternalStorage[] instances;
  private final Scratch scratch;
  private final ExecutorService pool;
  private int runs;

  /**
   * @param instances the instances to run on; thread {@code i} uses {@code instances[i %
   *     instances.length]}
   * @param pool at least 4 threads
   */
  ParallelCheck(ExternalStorage[] instances, Scratch scratch, ExecutorService pool) {
    this.instances = instances.clone();
    this.scratch = scratch;
    this.pool = pool;
  }

  /** 2 to 4 threads of 1 to 4 operations each. */
  static Gen<List<List<Op.OnLocation>>> histories(long maxSize) {
    Gen<String> location = Generate.pick(LOCATIONS);
    List<Content> pool = List.of(
        new Content(0, 0), new Content(5, 1), new Content(5, 2),
        new Content((int) Math.min(70_000, maxSize), 3));
    Gen<Content> content = Generate.pick(pool);
    Gen<Op.OnLocation> store = in -> new Op.Store(
        location.generate(in), content.generate(in),
        Generate.enumValues(WritePolicy.class).generate(in),
        Generate.pick(List.of(Op.Source.BYTES, Op.Source.STREAM)).generate(in));
    Gen<Op.OnLocation> op = Generators.weighted(List.of(
        Pair.of(8, store),
        Pair.of(4, location.zip(Generate.booleans(), Op.Load::new)),
        Pair.of(2, in -> new Op.VerifiedLoad(
            location.generate(in), Generate.booleans().generate(in), content.generate(in))),
        Pair.of(2, location.map(Op::exists)),
        Pair.of(2, location.map(Op::delete)),
        Pair.of(2, location.map(Op::deleteIfExists)),
        Pair.of(2, location.map(Op::getMetadata))));
    Gen<List<Op.OnLocation>> thread = SourceDSL.lists().of(op).ofSizeBetween(1, 4);
    return SourceDSL.lists().of(thread).ofSizeBetween(2, 4);
  }

  /** One operation as it ran: who ran it, when (nanoseconds) and what it gave. */
  record Event(int thread, Op.OnLocation op, long start, long end, Outcome outcome) {}

  /** Runs {@code threads} at once, then checks the history; throws AssertionError if not linearizable. */
  void check(List<List<Op.OnLocation>> threads) {
    String namespace = "parallel-" + (++runs);
    List<Event> history = run(namespace, threads);
    String problem = explain(history);
    if (problem != null) {
      throw new AssertionError(problem + "\n" + describe(history, threads.size()));
    }
  }

  private List<Event> run(String namespace, List<List<Op.OnLocation>> threads) {
    CyclicBarrier start = new CyclicBarrier(threads.size());
    List<Future<List<Event>>> futures = new ArrayList<>();
    for (int t = 0; t < threads.size(); t++) {
      int thread = t;
      ExternalStorage storage = instances[t % instances.length];
      futures.add(pool.submit(() -> {
        start.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        List<Event> events = new ArrayList<>();
        for (Op.OnLocation op : threads.get(thread)) {
          long begin = System.nanoTime();
          Outcome outcome = op.run(storage, namespace, scratch);
          events.add(new Event(thread, op, begin, System.nanoTime(), outcome));
        }
        return events;
      }));
    }
    List<Event> history = new ArrayList<>();
    try {
      for (Future<List<Event>> f : futures) {
        history.addAll(f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
      }
    } catch (TimeoutException e) {
      futures.forEach(f -> f.cancel(true));
      throw new AssertionError("rule T1: concurrent operations did not finish within "
          + TIMEOUT_SECONDS + " s (a deadlock?): " + threads, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (ExecutionException e) {
      throw new AssertionError("a thread of the parallel check failed", e.getCause());
    }
    for (String location : LOCATIONS) {
      Op.Load last = new Op.Load(location, false);
      long begin = System.nanoTime();
      Outcome outcome = last.run(instances[0], namespace, scratch);
      history.add(new Event(-1, last, begin, System.nanoTime(), outcome));
      try {
        instances[0].deleteIfExists(Op.at(namespace, location));
      } catch (RuntimeException e) {
        // Best effort: the next run uses a fresh namespace anyway.
      }
    }
    return history;
  }

  private static final Outcome GAVE_UP = Outcome.thrown(org.stowage.ExternalResourceException.class);

  /** Why the history is not linearizable per location, or null if it is. */
  static String explain(List<Event> history) {
    Map<String, List<Event>> byLocation = new LinkedHashMap<>();
    for (Event e : history) {
      byLocation.computeIfAbsent(e.op().location(), k -> new ArrayList<>()).add(e);
    }
    for (Map.Entry<String, List<Event>> entry : byLocation.entrySet()) {
      List<Event> events = entry.getValue();
      if (events.size() > 30) {
        throw new IllegalArgumentException("too many operations on one location to search");
      }
      if (!linearizable(events, 0L, null, new HashSet<>())) {
        return "rule T1: the results on " + Generators.quote(entry.getKey())
            + " cannot come from any order of its operations that keeps their real-time order"
            + " (each operation taking effect at one instant between its call and its return)"
            + "; so the backend is not linearizable per location (or breaks the S or R rule of"
            + " an operation below)";
      }
    }
    return null;
  }

  /**
   * Whether the events not in {@code done} can be ordered, starting from {@code state}, so that
   * each gives its outcome. Depth-first, remembering dead ends.
   */
  private static boolean linearizable(
      List<Event> events, long done, Content state, Set<String> deadEnds) {
    if (Long.bitCount(done) == events.size()) {
      return true;
    }
    String key = done + "|" + state;
    if (deadEnds.contains(key)) {
      return false;
    }
    long firstEnd = Long.MAX_VALUE;
    for (int i = 0; i < events.size(); i++) {
      if ((done & (1L << i)) == 0) {
        firstEnd = Math.min(firstEnd, events.get(i).end());
      }
    }
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      if ((done & (1L << i)) != 0 || e.start() > firstEnd) {
        continue; // done, or some pending operation ended before it began
      }
      Op.Transition t = e.op().step(state);
      if (t.allowed().contains(e.outcome())
          && linearizable(events, done | (1L << i), t.next(), deadEnds)) {
        return true;
      }
      if (e.op().mayGiveUp() && e.outcome().equals(GAVE_UP)
          && linearizable(events, done | (1L << i), state, deadEnds)) {
        return true; // rule S5.2: gave up, changing nothing
      }
    }
    deadEnds.add(key);
    return false;
  }

  private static String describe(List<Event> history, int threads) {
    long origin = history.stream().mapToLong(Event::start).min().orElse(0);
    StringBuilder out = new StringBuilder("The history, ").append(threads)
        .append(" thread(s), times in microseconds from the first call:");
    history.stream()
        .sorted(Comparator.comparingInt((Event e) -> e.thread() < 0 ? Integer.MAX_VALUE : e.thread())
            .thenComparingLong(Event::start))
        .forEach(e -> out.append(String.format("%n  %s [%d..%d] %s  =>  %s",
            e.thread() < 0 ? "after all" : "thread " + e.thread(),
            (e.start() - origin) / 1000, (e.end() - origin) / 1000, e.op(),
            e.outcome().detailed())));
    return out.toString();
  }

  /** The threads as generated, one line each. */
  static String describe(List<List<Op.OnLocation>> threads) {
    StringBuilder out = new StringBuilder(threads.size() + " thread(s):");
    for (int t = 0; t < threads.size(); t++) {
      out.append(String.format("%n  thread %d: %s", t, threads.get(t)));
    }
    return out.toString();
  }
}
