package org.stowage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The re-readable side of {@link ObjectSource}: hashing ahead, ranges, and a backend using both. */
class ObjectSourceTest {
  @TempDir Path dir;

  private static byte[] random(long seed, int size) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  private Path file(String name, byte[] data) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, data);
    return p;
  }

  private static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  @Test
  @DisplayName("S1 bytes and regular files are re-readable; streams are not, and refuse both two-pass calls")
  void whoIsRereadable() throws IOException {
    assertTrue(ObjectSource.ofBytes(new byte[3]).isRereadable());
    ObjectSource f = ObjectSource.ofPath(file("f", new byte[3]));
    try {
      assertTrue(f.isRereadable());
    } finally {
      f.closeSource();
    }
    ObjectSource s = ObjectSource.ofStream(new ByteArrayInputStream(new byte[3]));
    assertFalse(s.isRereadable());
    assertThrows(IllegalStateException.class, s::precomputeMetadata);
    assertThrows(IllegalStateException.class, () -> s.precomputeRangedMetadata(2));
    assertThrows(IllegalStateException.class, () -> s.openRange(0, 1));
    assertFalse(s.isEnded(), "the refused calls read nothing");
    assertEquals(Metadata.of(new byte[3]), s.drain());
  }

  @Test
  @DisplayName("S1 precomputeMetadata hashes bytes and files before any write; afterwards the source has ended with the same metadata")
  void precomputeEndsTheSource() throws IOException {
    for (int size : new int[] {0, 1, 100_000, PipelinedDigest.INLINE_BYTES + 3 * PipelinedDigest.CHUNK_BYTES + 5}) {
      byte[] data = random(size, size);
      Metadata expected = Metadata.of(data);
      ObjectSource bytes = ObjectSource.ofBytes(data);
      assertEquals(expected, bytes.precomputeMetadata(), "bytes of " + size);
      assertTrue(bytes.isEnded());
      assertEquals(expected, bytes.metadata());
      assertEquals(-1, bytes.stream().read(), "stream() is at its end");
      assertThrows(IllegalStateException.class, bytes::precomputeMetadata, "only once");

      ObjectSource file = ObjectSource.ofPath(file("f" + size, data));
      try {
        assertEquals(size, file.knownSize().getAsLong());
        assertEquals(expected, file.precomputeMetadata(), "file of " + size);
        assertTrue(file.isEnded());
        assertEquals(expected, file.metadata());
        assertEquals(-1, file.stream().read());
        assertArrayEquals(data, readAll(file.openRange(0, size)), "the second pass reads it all again");
      } finally {
        file.closeSource();
      }
    }
  }

  @Test
  @DisplayName("S1 precomputeMetadata refuses a source that was already read through stream()")
  void precomputeOnlyFirst() throws IOException {
    ObjectSource s = ObjectSource.ofBytes(new byte[10]);
    assertEquals(1, s.stream().read(new byte[1]));
    assertThrows(IllegalStateException.class, s::precomputeMetadata);
    assertThrows(IllegalArgumentException.class, () -> ObjectSource.ofBytes(new byte[1]).precomputeRangedMetadata(0));
  }

  @Test
  @DisplayName("S1 precomputeRangedMetadata gives the MD5 of every range, from the same pass, for any size and range size")
  void rangedDigests() {
    qt().withExamples(30)
        .forAll(longs().all(), integers().between(0, PipelinedDigest.INLINE_BYTES + 2 * PipelinedDigest.CHUNK_BYTES + 9),
            integers().between(1, 3 << 20), integers().between(0, 1))
        .check((seed, size, rangeSize, asFile) -> {
          byte[] data = random(seed, size);
          try {
            ObjectSource source = asFile == 1 ? ObjectSource.ofPath(file("r" + seed, data)) : ObjectSource.ofBytes(data);
            try {
              ObjectSource.RangedMetadata ranged = source.precomputeRangedMetadata(rangeSize);
              List<String> expected = new ArrayList<>();
              for (int off = 0; off < size; off += rangeSize) {
                byte[] slice = Arrays.copyOfRange(data, off, Math.min(size, off + rangeSize));
                expected.add(Metadata.of(slice).md5());
              }
              boolean ok = ranged.metadata().equals(Metadata.of(data))
                  && source.metadata().equals(ranged.metadata())
                  && ranged.rangeMd5s().equals(expected)
                  && ranged.ranges() == expected.size()
                  && ranged.rangeSize() == rangeSize;
              for (int i = 0; ok && i < ranged.ranges(); i++) {
                byte[] again = readAll(source.openRange(ranged.rangeOffset(i), ranged.rangeLength(i)));
                ok = Metadata.of(again).md5().equals(ranged.rangeMd5s().get(i));
              }
              return ok;
            } finally {
              if (asFile == 1) {
                source.closeSource();
              }
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  @Test
  @DisplayName("RangedMetadata refuses digests that do not fit the size")
  void rangedMetadataChecks() {
    Metadata m = Metadata.of(new byte[10]);
    String d = m.md5();
    assertEquals(3, new ObjectSource.RangedMetadata(m, 4, List.of(d, d, d)).ranges());
    assertEquals(2, new ObjectSource.RangedMetadata(m, 4, List.of(d, d, d)).rangeLength(2));
    assertThrows(IllegalArgumentException.class, () -> new ObjectSource.RangedMetadata(m, 4, List.of(d, d)));
    assertThrows(IllegalArgumentException.class, () -> new ObjectSource.RangedMetadata(m, 0, List.of()));
    assertEquals(0, new ObjectSource.RangedMetadata(Metadata.of(new byte[0]), 4, List.of()).ranges());
  }

  @Test
  @DisplayName("openRange: any range, read again and again, by several threads at once, in reads of any size")
  void rangesInParallel() throws Exception {
    byte[] data = random(7, 3_000_001);
    ObjectSource file = ObjectSource.ofPath(file("p", data));
    ObjectSource bytes = ObjectSource.ofBytes(data);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (ObjectSource source : List.of(file, bytes)) {
        source.precomputeMetadata();
        CyclicBarrier start = new CyclicBarrier(4);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          int thread = t;
          results.add(pool.submit(() -> {
            start.await(10, TimeUnit.SECONDS);
            Random rnd = new Random(thread);
            for (int round = 0; round < 20; round++) {
              int off = rnd.nextInt(data.length);
              int len = rnd.nextInt(data.length - off + 1);
              int piece = 1 + rnd.nextInt(200_000);
              ByteArrayOutputStream out = new ByteArrayOutputStream(len);
              try (InputStream in = source.openRange(off, len)) {
                byte[] buf = new byte[piece];
                int n;
                while ((n = in.read(buf, 0, 1 + rnd.nextInt(piece))) >= 0) {
                  out.write(buf, 0, n);
                }
                if (in.read() != -1) {
                  return false;
                }
              }
              if (!Arrays.equals(out.toByteArray(), Arrays.copyOfRange(data, off, off + len))) {
                return false;
              }
            }
            return true;
          }));
        }
        for (Future<Boolean> r : results) {
          assertTrue(r.get(60, TimeUnit.SECONDS), "a range read back other bytes");
        }
      }
      InputStream skipping = file.openRange(10, 1000);
      assertEquals(data[10] & 0xff, skipping.read());
      assertEquals(500, skipping.skip(500));
      assertArrayEquals(Arrays.copyOfRange(data, 511, 1010), skipping.readAllBytes());
      assertThrows(IllegalArgumentException.class, () -> bytes.openRange(data.length - 1, 2));
      assertThrows(IllegalArgumentException.class, () -> file.openRange(-1, 2));
    } finally {
      pool.shutdownNow();
      file.closeSource();
    }
  }

  @Test
  @DisplayName("S3 a range of a file that shrank since it was hashed fails with EOFException, never ends early")
  void shrunkFile() throws IOException {
    byte[] data = random(8, 200_000);
    Path p = file("s", data);
    ObjectSource source = ObjectSource.ofPath(p);
    try {
      assertEquals(Metadata.of(data), source.precomputeMetadata());
      try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
        raf.setLength(150_000);
      }
      try (InputStream in = source.openRange(100_000, 100_000)) {
        EOFException e = assertThrows(EOFException.class, in::readAllBytes);
        assertTrue(e.getMessage().contains("shorter than when it was hashed"), e.getMessage());
      }
      // A range inside what is left still reads.
      assertArrayEquals(Arrays.copyOfRange(data, 0, 1000), readAll(source.openRange(0, 1000)));
    } finally {
      source.closeSource();
    }
  }

  @Test
  @DisplayName("S3 the second pass reads the file as it is now: a backend must check it against the first pass")
  void secondPassSeesChanges() throws IOException {
    byte[] data = random(9, 10_000);
    Path p = file("c", data);
    ObjectSource source = ObjectSource.ofPath(p);
    try {
      Metadata first = source.precomputeMetadata();
      try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
        raf.seek(5000);
        raf.write(data[5000] ^ 1);
      }
      byte[] again = readAll(source.openRange(0, data.length));
      assertFalse(Arrays.equals(data, again));
      assertFalse(first.equals(Metadata.of(again)), "the MD5 of the second pass tells");
      assertEquals(first, source.metadata(), "the metadata stays the first pass's");
    } finally {
      source.closeSource();
    }
  }

  @Test
  @DisplayName("T1 a reader interrupted inside a read does not break the other ranges: the file is opened again")
  void interruptedReader() throws Exception {
    byte[] data = random(10, 300_000);
    ObjectSource source = ObjectSource.ofPath(file("i", data));
    try {
      source.precomputeMetadata();
      InputStream other = source.openRange(0, data.length);
      assertEquals(data[0] & 0xff, other.read());
      InputStream victim = source.openRange(0, data.length);
      Thread.currentThread().interrupt();
      try {
        // A FileChannel read with the interrupt flag set closes the channel for every user.
        assertThrows(IOException.class, victim::readAllBytes);
      } finally {
        Thread.interrupted();
      }
      assertArrayEquals(data, readAll(source.openRange(0, data.length)), "a new range reads");
      assertArrayEquals(Arrays.copyOfRange(data, 1, data.length), other.readAllBytes(),
          "an open range reads on through the reopened file");
    } finally {
      source.closeSource();
    }
  }

  @Test
  @DisplayName("after the core closes the file, ranges fail instead of reading a closed or reused handle")
  void closedSource() throws IOException {
    ObjectSource source = ObjectSource.ofPath(file("z", random(11, 200_000)));
    source.precomputeMetadata();
    InputStream open = source.openRange(0, 200_000);
    source.closeSource();
    assertThrows(ClosedChannelException.class, () -> source.openRange(0, 1));
    assertThrows(ClosedChannelException.class, open::readAllBytes);
  }

  /** A backend that hashes first, then writes from ranges, checking the second pass. */
  static final class TwoPassStorage extends TreeMapStorage {
    final List<Boolean> rereadable = new ArrayList<>();
    /** Runs between the two passes. */
    Runnable betweenPasses = () -> { };

    @Override
    protected synchronized boolean writeObject(Location location, ObjectSource source, boolean replaceExisting)
        throws IOException {
      rereadable.add(source.isRereadable());
      if (!source.isRereadable()) {
        return super.writeObject(location, source, replaceExisting);
      }
      if (!replaceExisting && objects.containsKey(location.value())) {
        return false;
      }
      Metadata first = source.precomputeMetadata();
      betweenPasses.run();
      byte[] sent = readAll(source.openRange(0, first.size()));
      if (!Metadata.of(sent).equals(first)) {
        throw new ChangedExternalResourceException(
            this + ": the source changed while it was stored (rules S2, S3)", location.value());
      }
      objects.put(location.value(), sent);
      records.put(location.value(), first);
      return true;
    }
  }

  @Test
  @DisplayName("S1 S2 through the core: a two-pass backend returns the precomputed metadata, and a change between the passes commits nothing")
  void throughTheCore() throws IOException {
    TwoPassStorage storage = new TwoPassStorage();
    byte[] data = random(12, 50_000);
    Path p = file("core", data);
    assertEquals(Metadata.of(data), storage.storeBytes("b", data));
    assertEquals(Metadata.of(data), storage.storePath("f", p));
    assertEquals(Metadata.of(data), storage.storeStream("s", new ByteArrayInputStream(data)));
    assertEquals(List.of(true, true, false), storage.rereadable);
    assertEquals(Metadata.of(data), storage.copy("f", "copied"));
    assertFalse(storage.rereadable.get(3), "a streamed copy is read once");
    // SKIP_IF_EXISTS over a present object: nothing written, the present object's metadata.
    assertEquals(Metadata.of(data), storage.storePath("f", p, WritePolicy.SKIP_IF_EXISTS));
    // The file changes between the passes: nothing is committed, the previous object stays.
    storage.betweenPasses = () -> {
      try {
        Files.write(p, random(13, 50_000));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    Files.write(p, data);
    assertThrows(ChangedExternalResourceException.class, () -> storage.storePath("f", p));
    assertArrayEquals(data, storage.objects.get("f"));
    assertEquals(HexFormat.of().formatHex(Metadata.newMd5().digest(data)), storage.records.get("f").md5());
  }

  /** A backend that keeps a view of the caller's array and reads it only when loaded (S6). */
  static final class LazyViewStorage extends TreeMapStorage {
    final java.util.Map<String, InputStream> views = new java.util.HashMap<>();

    @Override
    protected synchronized boolean writeObject(Location location, ObjectSource source, boolean replaceExisting)
        throws IOException {
      Metadata md = source.precomputeMetadata();
      views.put(location.value(), source.openRange(0, md.size()));
      objects.put(location.value(), new byte[0]);
      records.put(location.value(), md);
      return true;
    }

    @Override
    protected synchronized InputStream openObject(Location location) {
      return views.get(location.value());
    }
  }

  @Test
  @DisplayName("S6 a range over the caller's array, or a new range, fails once writeObject has returned")
  void rangesEndWithTheStore() throws IOException {
    ObjectSource source = ObjectSource.ofBytes(random(14, 1000));
    source.precomputeMetadata();
    InputStream open = source.openRange(0, 1000);
    assertEquals(10, open.readNBytes(10).length, "a range reads while the store runs");
    source.release();
    IllegalStateException late = assertThrows(IllegalStateException.class, open::read);
    assertTrue(late.getMessage().contains("S6"), late.getMessage());
    assertThrows(IllegalStateException.class, () -> open.readNBytes(new byte[5], 0, 5));
    assertThrows(IllegalStateException.class, open::readAllBytes);
    assertThrows(IllegalStateException.class, () -> source.openRange(0, 1));

    ObjectSource unread = ObjectSource.ofBytes(random(15, 10));
    unread.release();
    assertThrows(IllegalStateException.class, () -> unread.stream().read());

    LazyViewStorage storage = new LazyViewStorage();
    byte[] data = random(16, 5000);
    storage.storeBytes("kept", data);
    java.util.Arrays.fill(data, (byte) 0);
    assertThrows(IllegalStateException.class, () -> storage.loadBytes("kept"),
        "a backend that kept a view of the caller's array must fail loudly, not give what the"
            + " caller wrote into it afterwards");
  }
}
