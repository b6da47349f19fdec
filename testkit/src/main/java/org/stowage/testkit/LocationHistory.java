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
  private final Span stores;
  /** Removals, by end; for each prefix, the one that started last. */
  private final Span removalsByEnd;
  /** Removals, by start; for each prefix, the latest end. */
  private final Overlap removals;
  /** Writers, by start; for each prefix, the latest end. */
  private final Overlap writers;

  LocationHistory(List<Event> ops) {
    List<Event> stored = ops.stream().filter(e -> e.wrote != StressCheck.ABSENT).toList();
    List<Event> removed = ops.stream().filter(e -> e.removed).toList();
    List<Event> writing = ops.stream()
        .filter(e -> e.maybeWrote || e.wrote != StressCheck.ABSENT).toList();
    this.stores = new Span(stored);
    this.removalsByEnd = new Span(removed);
    this.removals = new Overlap(removed);
    this.writers = new Overlap(writing);
  }

  /** Whether a store that may have written here started before {@code time}. */
  boolean writtenBefore(long time) {
    return writers.anyStartedBefore(time);
  }

  /** Of the stores that ended before {@code time}, the one that started last; null if none. */
  Event lastStoreBefore(long time) {
    return stores.lastStartedAmongEndedBefore(time);
  }

  /** Of the removals that ended before {@code time}, the one that started last; null if none. */
  Event lastRemovalBefore(long time) {
    return removalsByEnd.lastStartedAmongEndedBefore(time);
  }

  /** Whether a removal ran (in part) within ({@code from}, {@code to}). */
  boolean removalWithin(long from, long to) {
    return removals.anyWithin(from, to);
  }

  /** Whether a writer ran (in part) within ({@code from}, {@code to}). */
  boolean writerWithin(long from, long to) {
    return writers.anyWithin(from, to);
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

  /** Events sorted by end, with the latest-starting event of every prefix. */
  private static final class Span {
    private final long[] ends;
    private final Event[] lastStarted;

    Span(List<Event> events) {
      List<Event> sorted = sort(events, e -> e.end);
      ends = sorted.stream().mapToLong(e -> e.end).toArray();
      lastStarted = new Event[sorted.size()];
      for (int i = 0; i < sorted.size(); i++) {
        Event e = sorted.get(i);
        lastStarted[i] = i > 0 && lastStarted[i - 1].start >= e.start ? lastStarted[i - 1] : e;
      }
    }

    Event lastStartedAmongEndedBefore(long time) {
      int k = countBefore(ends, time);
      return k == 0 ? null : lastStarted[k - 1];
    }
  }

  /** Events sorted by start, with the latest end of every prefix. */
  private static final class Overlap {
    private final long[] starts;
    private final long[] latestEnd;

    Overlap(List<Event> events) {
      List<Event> sorted = sort(events, e -> e.start);
      starts = sorted.stream().mapToLong(e -> e.start).toArray();
      latestEnd = new long[sorted.size()];
      for (int i = 0; i < sorted.size(); i++) {
        latestEnd[i] = Math.max(i > 0 ? latestEnd[i - 1] : Long.MIN_VALUE, sorted.get(i).end);
      }
    }

    boolean anyStartedBefore(long time) {
      return starts.length > 0 && starts[0] < time;
    }

    /** Whether one started before {@code to} and ended after {@code from}. */
    boolean anyWithin(long from, long to) {
      int k = countBefore(starts, to);
      return k > 0 && latestEnd[k - 1] > from;
    }
  }

  private static List<Event> sort(List<Event> events, ToLongFunction<Event> key) {
    return events.stream().sorted(Comparator.comparingLong(key)).toList();
  }
}
