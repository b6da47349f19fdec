package org.stowage.compose;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.ObjectSource;
import org.stowage.TreeMapStorage;

/**
 * A {@link TreeMapStorage} that fails chosen operations on demand, and can pause one call of an
 * operation until the test lets it go on. Failures are {@link IOException}s from the hooks, which
 * the core reports as plain {@code ExternalResourceException}s: what a store that is down does.
 */
final class FaultyStorage extends TreeMapStorage {
  /** The operations that can be made to fail, by hook. */
  enum Op {
    WRITE,
    OPEN,
    EXISTS,
    METADATA,
    DELETE,
    LIST
  }

  private final String name;
  /** For each failing operation, how many calls still succeed before it fails (0: fails now). */
  private final Map<Op, Integer> allowance = new EnumMap<>(Op.class);
  private final Map<Op, Long> succeeded = new EnumMap<>(Op.class);
  private final Map<String, Integer> commits = new ConcurrentHashMap<>();
  private final Map<Op, Pause> pausesAfter = new EnumMap<>(Op.class);

  FaultyStorage(String name) {
    this.name = name;
  }

  /** A call paused after it completed: {@link #reached} opens when it gets there. */
  static final class Pause {
    final CountDownLatch reached = new CountDownLatch(1);
    final CountDownLatch resume = new CountDownLatch(1);

    void awaitReached() throws InterruptedException {
      if (!reached.await(10, TimeUnit.SECONDS)) {
        throw new AssertionError("the paused call never came");
      }
    }

    void resume() {
      resume.countDown();
    }
  }

  /** Every call of these operations fails, until {@link #heal()}. */
  synchronized FaultyStorage fail(Op... ops) {
    for (Op op : ops) {
      allowance.put(op, 0);
    }
    return this;
  }

  /** Every operation fails, until {@link #heal()}. */
  synchronized FaultyStorage down() {
    return fail(Op.values());
  }

  /** The next {@code successes} calls of {@code op} succeed; the ones after fail until healed. */
  synchronized FaultyStorage failAfter(Op op, int successes) {
    allowance.put(op, successes);
    return this;
  }

  /** No operation fails any more. */
  synchronized FaultyStorage heal() {
    allowance.clear();
    return this;
  }

  /** The next call of {@code op} that succeeds waits, once done, until the pause is resumed. */
  synchronized Pause pauseAfter(Op op) {
    Pause pause = new Pause();
    pausesAfter.put(op, pause);
    return pause;
  }

  /** How many calls of {@code op} succeeded. */
  synchronized long calls(Op op) {
    return succeeded.getOrDefault(op, 0L);
  }

  /** How many writes to {@code location} were committed. */
  int commits(String location) {
    return commits.getOrDefault(location, 0);
  }

  /** Every location ever written, with its number of commits. */
  Map<String, Integer> commits() {
    return Map.copyOf(commits);
  }

  /** The bytes held now, in all, behind the API's back. */
  synchronized long bytesHeld() {
    return objects.values().stream().mapToLong(b -> b.length).sum();
  }

  /** Flips one bit of the stored bytes of {@code location}, behind the store's back. */
  synchronized void corrupt(String location) {
    objects.get(location)[0] ^= 1;
  }

  private void enter(Op op, Location location) throws IOException {
    synchronized (this) {
      Integer left = allowance.get(op);
      if (left != null) {
        if (left == 0) {
          throw new IOException("injected fault: " + op + " of " + location + " in " + this);
        }
        allowance.put(op, left - 1);
      }
    }
  }

  private void succeeded(Op op) {
    Pause pause;
    synchronized (this) {
      succeeded.merge(op, 1L, Long::sum);
      pause = pausesAfter.remove(op);
    }
    if (pause != null) {
      pause.reached.countDown();
      try {
        if (!pause.resume.await(10, TimeUnit.SECONDS)) {
          throw new AssertionError("the test never resumed the paused " + op);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Override
  protected boolean writeObject(Location location, ObjectSource source, boolean replaceExisting)
      throws IOException {
    enter(Op.WRITE, location);
    boolean committed = super.writeObject(location, source, replaceExisting);
    if (committed) {
      commits.merge(location.value(), 1, Integer::sum);
    }
    succeeded(Op.WRITE);
    return committed;
  }

  @Override
  protected InputStream openObject(Location location) throws IOException {
    enter(Op.OPEN, location);
    InputStream in = super.openObject(location);
    succeeded(Op.OPEN);
    return in;
  }

  @Override
  protected boolean objectExists(Location location) throws IOException {
    enter(Op.EXISTS, location);
    boolean exists = super.objectExists(location);
    succeeded(Op.EXISTS);
    return exists;
  }

  @Override
  protected Metadata objectMetadata(Location location) throws IOException {
    enter(Op.METADATA, location);
    Metadata metadata = super.objectMetadata(location);
    succeeded(Op.METADATA);
    return metadata;
  }

  @Override
  protected boolean deleteObject(Location location) throws IOException {
    enter(Op.DELETE, location);
    boolean deleted = super.deleteObject(location);
    succeeded(Op.DELETE);
    return deleted;
  }

  @Override
  protected Stream<String> listObjects(String prefix) throws IOException {
    synchronized (this) {
      Integer left = allowance.get(Op.LIST);
      if (left != null && left == 0) {
        throw new IOException("injected fault: LIST of \"" + prefix + "\" in " + this);
      }
    }
    Stream<String> listed = super.listObjects(prefix);
    succeeded(Op.LIST);
    // Fails part-way when LIST is made to fail after some entries: failAfter(LIST, n) lets n through.
    return listed.peek(
        location -> {
          synchronized (this) {
            Integer left = allowance.get(Op.LIST);
            if (left != null) {
              if (left == 0) {
                throw new UncheckedIOException(new IOException("injected fault: LIST broke off at " + location));
              }
              allowance.put(Op.LIST, left - 1);
            }
          }
        });
  }

  @Override
  public String toString() {
    return "FaultyStorage[" + name + "]";
  }
}
