package org.stowage.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;

/**
 * A mixed workload for many threads and several processes on one store (rules T1, S2, S5): every
 * thread races every other, in this process and the others, to CREATE {@code c/<round>} once for
 * every round (taking the rounds in an order of its own), and between rounds stores (OVERWRITE and CREATE), loads (plain and verified), verifies,
 * deletes and lists a few shared keys {@code k/<n>}.
 *
 * <p>Every stored content describes itself: its first 16 bytes are the writer's id and the size,
 * and the rest is generated from the id, so a reader can tell a whole content from a torn one
 * without knowing who wrote it. The workload reports one line per CREATE ({@code WON c/<r> <id>}
 * or {@code LOST c/<r>}) and one per unexpected outcome ({@code ERROR ...}); {@link #check} then
 * checks the store against the lines of every process.
 *
 * <p>For backend authors: run {@link #run} in this JVM and in a child JVM (pass {@link
 * Config#toArgs()} to it and read its lines back), then {@link #check} the store against all the
 * lines. Stowage's own use: {@code FileStorageHammerTest} and {@code S3HammerTest}.
 */
public final class Hammer {
  /** Keys the threads share besides the CREATE rounds. */
  public static final List<String> KEYS = List.of("k/0", "k/1", "k/2", "k/d/3", "k/d/4", "k/5");

  private Hammer() {}

  /**
   * The workload's shape.
   *
   * @param threads threads in each process
   * @param rounds CREATE rounds (and keys {@code c/0} to {@code c/<rounds-1>})
   * @param opsPerRound mixed operations on the shared keys between two rounds
   * @param maxSize largest content, in bytes
   * @param seed the randomness; each process and thread derives its own
   */
  public record Config(int threads, int rounds, int opsPerRound, int maxSize, long seed) {
    /**
     * The config as command-line arguments, for a child process.
     *
     * @return the five components, in declaration order, as decimal strings; {@link #fromArgs}
     *     reads them back
     */
    public List<String> toArgs() {
      return List.of(Integer.toString(threads), Integer.toString(rounds),
          Integer.toString(opsPerRound), Integer.toString(maxSize), Long.toString(seed));
    }

    /**
     * Reads the config back from {@code a[from]} on, as {@link #toArgs()} wrote it.
     *
     * @param a the arguments, as a child process's {@code main} received them
     * @param from the index of the first of the five components in {@code a}
     * @return the config that {@link #toArgs()} wrote
     * @throws NumberFormatException if a component is not a decimal number
     * @throws ArrayIndexOutOfBoundsException if {@code a} has fewer than five elements from {@code
     *     from} on
     */
    public static Config fromArgs(String[] a, int from) {
      return new Config(Integer.parseInt(a[from]), Integer.parseInt(a[from + 1]),
          Integer.parseInt(a[from + 2]), Integer.parseInt(a[from + 3]), Long.parseLong(a[from + 4]));
    }
  }

  /** The id of a content written by thread {@code thread} of process {@code process}. */
  static long id(int process, int thread, int n) {
    return ((long) process << 48) | ((long) thread << 32) | n;
  }

  /** The self-describing content of {@code id}, {@code size} bytes (16 or more). */
  static byte[] content(long id, int size) {
    byte[] data = new byte[size];
    ByteBuffer.wrap(data).putLong(id).putLong(size);
    Random r = new Random(id);
    byte[] rest = new byte[size - 16];
    r.nextBytes(rest);
    System.arraycopy(rest, 0, data, 16, rest.length);
    return data;
  }

  /** The id of {@code data} if it is one whole content; otherwise an IllegalStateException. */
  static long idOf(byte[] data) {
    if (data.length < 16) {
      throw new IllegalStateException("a torn content: " + data.length + " bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(data);
    long id = b.getLong();
    long size = b.getLong();
    if (size != data.length || !java.util.Arrays.equals(content(id, data.length), data)) {
      throw new IllegalStateException("a torn or mixed content: header says id " + id + ", "
          + size + " bytes; " + data.length + " bytes read");
    }
    return id;
  }

  /**
   * Runs every kind of operation a few times on a key of its own, then deletes it, so that a
   * freshly started process is as quick as a warm one when the race begins.
   *
   * @param storage the store the race will run on; only the key {@code w/<process>} is touched, and
   *     it is deleted at the end
   * @param process the number of this process, the same one later given to {@link #run}
   * @throws IOException if reading a loaded stream fails
   */
  public static void warmUp(ExternalStorage storage, int process) throws IOException {
    String key = "w/" + process;
    for (int i = 0; i < 12; i++) {
      byte[] data = content(id(process, 255, i), 16 + 100 * i);
      storage.storeBytes(key, data);
      storage.storeBytes(key, data, WritePolicy.SKIP_IF_EXISTS);
      idOf(storage.loadBytes(key, storage.getMetadata(key)));
      try (InputStream in = storage.loadStream(key)) {
        in.readAllBytes();
      }
      storage.verify(key);
      try (Stream<String> names = storage.iterContents("w/")) {
        names.count();
      }
      storage.deleteIfExists(key);
      storage.exists(key);
    }
  }

  /**
   * Runs the workload in {@code config.threads()} threads of this process, as process number {@code
   * process}.
   *
   * @param storage the store to race on, shared with the other processes
   * @param process the number of this process, distinct for every process in the race; it goes into
   *     the id of every content this process writes
   * @param config the workload's shape, the same in every process
   * @return the lines of every thread of this process ({@code WON}, {@code LOST} and {@code
   *     ERROR}), for {@link #check}; a new, mutable list
   * @throws InterruptedException if this thread is interrupted while waiting for the workers; they
   *     are then interrupted too
   * @throws Exception an {@link java.util.concurrent.ExecutionException} if a worker fails outside
   *     the outcomes it reports as {@code ERROR} lines
   */
  public static List<String> run(ExternalStorage storage, int process, Config config) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(config.threads());
    try {
      List<Future<List<String>>> futures = new ArrayList<>();
      for (int t = 0; t < config.threads(); t++) {
        int thread = t;
        futures.add(pool.submit(() -> worker(storage, process, thread, config)));
      }
      List<String> lines = new ArrayList<>();
      for (Future<List<String>> f : futures) {
        lines.addAll(f.get());
      }
      return lines;
    } finally {
      pool.shutdownNow();
    }
  }

  private static List<String> worker(ExternalStorage storage, int process, int thread, Config c) {
    Random rnd = new Random(c.seed() * 1_000_003L + process * 7919L + thread);
    List<String> lines = new ArrayList<>();
    int n = 0;
    // Each thread takes the rounds in an order of its own, so that no process wins them all by
    // merely being ahead, and any two threads may meet on any round.
    List<Integer> order = new ArrayList<>();
    for (int r = 0; r < c.rounds(); r++) {
      order.add(r);
    }
    Collections.shuffle(order, rnd);
    for (int r : order) {
      long id = id(process, thread, n++);
      try {
        storage.storeBytes("c/" + r, content(id, 16 + rnd.nextInt(2000)), WritePolicy.CREATE);
        lines.add("WON c/" + r + " " + id);
      } catch (ExistingExternalResourceException lost) {
        lines.add("LOST c/" + r);
      } catch (RuntimeException e) {
        lines.add("ERROR CREATE c/" + r + ": " + e);
      }
      for (int j = 0; j < c.opsPerRound(); j++) {
        String key = KEYS.get(rnd.nextInt(KEYS.size()));
        int op = rnd.nextInt(9);
        try {
          mixed(storage, key, op, content(id(process, thread, n++), 16 + rnd.nextInt(c.maxSize() - 16)));
        } catch (RuntimeException | IOException e) {
          lines.add("ERROR op " + op + " on " + key + ": " + e);
        }
      }
    }
    return lines;
  }

  private static void mixed(ExternalStorage storage, String key, int op, byte[] data) throws IOException {
    switch (op) {
      case 0, 1 -> storage.storeBytes(key, data);
      case 2 -> {
        try {
          storage.storeStream(key, new java.io.ByteArrayInputStream(data), WritePolicy.CREATE);
        } catch (ExistingExternalResourceException present) {
          // someone else's object is there
        }
      }
      case 3 -> {
        try {
          storage.verify(key);
        } catch (MissingExternalResourceException absent) {
          // deleted meanwhile
        }
      }
      case 4 -> {
        try (InputStream in = storage.loadStream(key)) {
          idOf(in.readAllBytes());
        } catch (MissingExternalResourceException absent) {
          // deleted meanwhile
        }
      }
      case 5 -> {
        try {
          Metadata md = storage.getMetadata(key);
          byte[] bytes = storage.loadBytes(key, md);
          idOf(bytes);
        } catch (MissingExternalResourceException | ChangedExternalResourceException raced) {
          // deleted, or replaced between getMetadata and the load
        }
      }
      case 6 -> storage.deleteIfExists(key);
      case 7 -> {
        try {
          storage.delete(key);
        } catch (MissingExternalResourceException absent) {
          // nothing there
        }
      }
      default -> {
        try (Stream<String> names = storage.iterContents("k/")) {
          List<String> listed = names.collect(Collectors.toList());
          if (!KEYS.containsAll(listed)) {
            throw new IllegalStateException("listed " + listed + ", not only " + KEYS);
          }
          List<String> sorted = new ArrayList<>(listed);
          sorted.sort(org.stowage.Location.UTF8_ORDER);
          if (!sorted.equals(listed)) {
            throw new IllegalStateException("listed out of order: " + listed);
          }
        }
      }
    }
  }

  /**
   * Checks the store after every process ran: no ERROR line; exactly one WON per round, across
   * processes, and the object of the round is the winner's content; every shared key that is
   * there verifies and holds one writer's whole content; the store lists nothing else. Returns
   * the problems, empty if none.
   *
   * @param storage the store every process raced on, after every process has finished
   * @param lines the lines of every process's {@link #run}, concatenated in any order
   * @param c the config every process ran with
   * @return a description of each problem found, one per element; empty if the store and the lines
   *     keep the rules
   */
  public static List<String> check(ExternalStorage storage, List<String> lines, Config c) {
    List<String> problems = new ArrayList<>();
    Map<String, List<Long>> winners = new HashMap<>();
    Map<String, Integer> outcomes = new HashMap<>();
    for (String line : lines) {
      if (line.startsWith("ERROR")) {
        problems.add(line);
      } else if (line.startsWith("WON ")) {
        String[] p = line.split(" ");
        winners.computeIfAbsent(p[1], k -> new ArrayList<>()).add(Long.parseLong(p[2]));
        outcomes.merge(p[1], 1, Integer::sum);
      } else if (line.startsWith("LOST ")) {
        outcomes.merge(line.substring(5), 1, Integer::sum);
      }
    }
    for (int r = 0; r < c.rounds(); r++) {
      String key = "c/" + r;
      List<Long> won = winners.getOrDefault(key, Collections.emptyList());
      if (won.size() != 1) {
        problems.add(key + ": " + won.size() + " CREATE winners " + won + " (rule S5)");
        continue;
      }
      try {
        long stored = idOf(storage.loadBytes(key, storage.verify(key)));
        if (stored != won.get(0)) {
          problems.add(key + ": holds writer " + stored + "'s content, the winner was " + won.get(0));
        }
      } catch (RuntimeException e) {
        problems.add(key + ": " + e);
      }
    }
    for (String key : KEYS) {
      if (!storage.exists(key)) {
        continue;
      }
      try {
        Metadata verified = storage.verify(key);
        if (!verified.equals(storage.getMetadata(key))) {
          problems.add(key + ": verify and getMetadata disagree");
        }
        idOf(storage.loadBytes(key, verified));
      } catch (RuntimeException e) {
        problems.add(key + ": " + e);
      }
    }
    try (Stream<String> names = storage.iterContents()) {
      for (String name : names.collect(Collectors.toList())) {
        if (!KEYS.contains(name) && !name.matches("c/[0-9]+")) {
          problems.add("listed " + name + ", which nobody stored");
        }
      }
    }
    return problems;
  }
}
