package org.stowage.testkit;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToLongFunction;
import org.stowage.testkit.StressCheck.Event;

/**
 * The stores and deletes of one location in a stress run, sorted by time, so that the questions a
 * check asks of them ("did a delete run between these two instants?", "which store that ended
 * before this instant began last?") take a binary search each instead of a scan. A listing of
 * thousands of entries, or a read among thousands of deletes, is then checked in time
 * proportional to its own size.
 *
 * <p>Three kinds of events count, as the stress check records them: a <em>store</em> ({@code
 * wrote} set: it stored a version), a <em>writer</em> (a store, or an attempt that may have
 * stored: {@code maybeWrote}), and a <em>removal</em> (a delete that removed, or may have).
 */
final class LocationHistory {

  /** Stores, by end; for each prefix, the one that started last. */
  private final Sorted stores;
  /** Removals, by end; for each prefix, the one that started last. */
  private final Sorted removalsByEnd;
  /** Removals, by start; for each prefix, the latest end. */
  private final Sorted removals;
  /** Writers, by start; for each prefix, the latest end. */
  private final Sorted writers;

  LocationHistory(List<Event> ops) {
    List<Event> stored = ops.stream().filter(e -> e.wrote != StressCheck.ABSENT).toList();
    List<Event> removed = ops.stream().filter(e -> e.removed).toList();
    List<Event> writing = ops.stream()
        .filter(e -> e.maybeWrote || e.wrote != StressCheck.ABSENT).toList();
    this.stores = byEnd(stored);
    this.removalsByEnd = byEnd(removed);
    this.removals = byStart(removed);
    this.writers = byStart(writing);
  }

  /** Whether a store that may have written here started before {@code time}. */
  boolean writtenBefore(long time) {
    return writers.anyBefore(time);
  }

  /** Of the stores that ended before {@code time}, the one that started last; null if none. */
  Event lastStoreBefore(long time) {
    return stores.bestBefore(time);
  }

  /** Of the removals that ended before {@code time}, the one that started last; null if none. */
  Event lastRemovalBefore(long time) {
    return removalsByEnd.bestBefore(time);
  }

  /** Whether a removal ran (in part) within ({@code from}, {@code to}). */
  boolean removalWithin(long from, long to) {
    return anyWithin(removals, from, to);
  }

  /** Whether a writer ran (in part) within ({@code from}, {@code to}). */
  boolean writerWithin(long from, long to) {
    return anyWithin(writers, from, to);
  }

  /** How many of the sorted {@code times} are before {@code time}. */
  static int countBefore(long[] times, long time) {
    int i = Arrays.binarySearch(times, time);
    if (i < 0) {
      return -i - 1;
    }
    while (i > 0 && times[i - 1] == time) {
      i--;
    }
    return i;
  }

  /**
   * Events sorted by one time, with, for every prefix of that order, the event that has the
   * largest other time (the earliest such on ties).
   */
  private static final class Sorted {
    private final long[] keys;
    private final Event[] best;

    Sorted(List<Event> events, ToLongFunction<Event> key, ToLongFunction<Event> rank) {
      List<Event> sorted = sort(events, key);
      keys = sorted.stream().mapToLong(key).toArray();
      best = new Event[sorted.size()];
      for (int i = 0; i < sorted.size(); i++) {
        Event e = sorted.get(i);
        best[i] = i > 0 && rank.applyAsLong(best[i - 1]) >= rank.applyAsLong(e) ? best[i - 1] : e;
      }
    }

    /** Among the events whose key is before {@code time}, the best; null if there are none. */
    Event bestBefore(long time) {
      int k = countBefore(keys, time);
      return k == 0 ? null : best[k - 1];
    }

    boolean anyBefore(long time) {
      return keys.length > 0 && keys[0] < time;
    }
  }

  /** Events by end, each prefix's latest-starting one: "the last store that ended before t". */
  private static Sorted byEnd(List<Event> events) {
    return new Sorted(events, e -> e.end, e -> e.start);
  }

  /** Events by start, each prefix's latest-ending one: "any that started before t and ended after f". */
  private static Sorted byStart(List<Event> events) {
    return new Sorted(events, e -> e.start, e -> e.end);
  }

  /** Whether one of {@code byStart} started before {@code to} and ended after {@code from}. */
  private static boolean anyWithin(Sorted byStart, long from, long to) {
    Event latestEnding = byStart.bestBefore(to);
    return latestEnding != null && latestEnding.end > from;
  }

  private static List<Event> sort(List<Event> events, ToLongFunction<Event> key) {
    return events.stream().sorted(Comparator.comparingLong(key)).toList();
  }
}
