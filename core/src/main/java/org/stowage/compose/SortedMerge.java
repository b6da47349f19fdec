package org.stowage.compose;

import java.util.Iterator;
import java.util.NoSuchElementException;
import org.stowage.Location;

/**
 * Walks two listings side by side. Both come in ascending UTF-8 byte order (rule I2), so one pass
 * over each, holding one location of each, says for every location whether it is on the left, on
 * the right, or on both: what a sync or a reconciliation needs, in constant memory.
 */
final class SortedMerge implements Iterator<SortedMerge.Pair> {
  /** A location and which sides list it (at least one). */
  record Pair(String location, boolean left, boolean right) {}

  private final Iterator<String> left;
  private final Iterator<String> right;
  private String nextLeft;
  private String nextRight;

  SortedMerge(Iterator<String> left, Iterator<String> right) {
    this.left = left;
    this.right = right;
    this.nextLeft = left.hasNext() ? left.next() : null;
    this.nextRight = right.hasNext() ? right.next() : null;
  }

  @Override
  public boolean hasNext() {
    return nextLeft != null || nextRight != null;
  }

  @Override
  public Pair next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    int order =
        nextLeft == null ? 1 : nextRight == null ? -1 : Location.UTF8_ORDER.compare(nextLeft, nextRight);
    Pair pair;
    if (order < 0) {
      pair = new Pair(nextLeft, true, false);
      nextLeft = left.hasNext() ? left.next() : null;
    } else if (order > 0) {
      pair = new Pair(nextRight, false, true);
      nextRight = right.hasNext() ? right.next() : null;
    } else {
      pair = new Pair(nextLeft, true, true);
      nextLeft = left.hasNext() ? left.next() : null;
      nextRight = right.hasNext() ? right.next() : null;
    }
    return pair;
  }
}
