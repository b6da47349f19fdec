package org.stowage.compose;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.Md5Counter;
import org.stowage.Metadata;
import org.stowage.ObjectSource;
import org.stowage.StoredObject;
import org.stowage.TreeMapStorage;
import org.stowage.WritePolicy;

/**
 * Each stored byte is hashed with MD5 once, through any chain of decorators (issue 16): the MD5
 * passes over an object, counted by a security provider, per operation, bare and through a cache
 * and a mirror. A tier also sees the caller's re-readable content, not a stream.
 */
class DigestPassesTest {
  /** Larger than the inline part of the pipelined digest, so its hasher thread runs too. */
  private static final int SIZE = 6 << 20;
  private static final byte[] DATA = new byte[SIZE];

  static {
    new Random(16).nextBytes(DATA);
  }

  @TempDir Path dir;
  private Md5Counter md5;
  private final List<ExternalStorage> opened = new ArrayList<>();

  /** Records whether each source its hook received was re-readable. */
  static final class RecordingStorage extends TreeMapStorage {
    final List<Boolean> rereadable = new ArrayList<>();

    @Override
    protected synchronized boolean writeObject(Location location, ObjectSource source, boolean replaceExisting)
        throws IOException {
      rereadable.add(source.isRereadable());
      return super.writeObject(location, source, replaceExisting);
    }
  }

  @BeforeEach
  void install() {
    md5 = Md5Counter.install();
  }

  @AfterEach
  void remove() {
    md5.close();
    opened.forEach(ExternalStorage::close);
  }

  private <T extends ExternalStorage> T open(T storage) {
    opened.add(storage);
    return storage;
  }

  private CachingStorage cache(ExternalStorage backing) {
    return open(CachingStorage.builder(backing, open(new TreeMapStorage()), 64L << 20).build());
  }

  private MirroredStorage mirror(ExternalStorage primary, ExternalStorage secondary) {
    return open(MirroredStorage.builder(primary, List.of(secondary)).build());
  }

  private Path file() throws IOException {
    return Files.write(dir.resolve("data"), DATA);
  }

  @Test
  @DisplayName("a bare store hashes once, from bytes, a file or a stream")
  void bareStores() throws IOException {
    TreeMapStorage bare = open(new TreeMapStorage());
    Path file = file();
    md5.reset();
    bare.storeBytes("a", DATA);
    assertEquals(1, md5.passesOver(SIZE), "storeBytes");
    bare.storePath("b", file);
    assertEquals(1, md5.passesOver(SIZE), "storePath");
    bare.storeStream("c", new ByteArrayInputStream(DATA));
    assertEquals(1, md5.passesOver(SIZE), "storeStream");
  }

  @Test
  @DisplayName("copies hash once: the verifying read's MD5 is the stored object's")
  void copiesHashOnce() {
    TreeMapStorage bare = open(new TreeMapStorage());
    TreeMapStorage other = open(new TreeMapStorage());
    bare.storeBytes("a", DATA);
    md5.reset();
    assertEquals(Metadata.of(DATA), bare.copy("a", "b"));
    md5.reset(); // Metadata.of above hashed too
    bare.copy("a", "c");
    assertEquals(1, md5.passesOver(SIZE), "default copy");
    bare.copyTo("a", other, "a", WritePolicy.OVERWRITE);
    assertEquals(1, md5.passesOver(SIZE), "copyTo another storage");
    bare.move("c", "d");
    assertEquals(1, md5.passesOver(SIZE), "default move");
    bare.copy("a", "e", WritePolicy.FAIL_IF_DIFFERENT);
    assertEquals(1, md5.passesOver(SIZE), "copy under FAIL_IF_DIFFERENT to an empty target");
  }

  @Test
  @DisplayName("through a cache: stores hash once and the backing store gets the caller's bytes or file")
  void throughCache() throws IOException {
    RecordingStorage backing = open(new RecordingStorage());
    CachingStorage cache = cache(backing);
    Path file = file();
    md5.reset();
    cache.storeBytes("a", DATA);
    assertEquals(1, md5.passesOver(SIZE), "storeBytes through a cache");
    cache.storePath("b", file);
    assertEquals(1, md5.passesOver(SIZE), "storePath through a cache");
    cache.storeStream("c", new ByteArrayInputStream(DATA));
    assertEquals(1, md5.passesOver(SIZE), "storeStream through a cache");
    assertEquals(List.of(true, true, false), backing.rereadable);

    assertEquals(Metadata.of(DATA), cache.verify("a"));
    md5.reset();
    cache.verify("a");
    assertEquals(1, md5.passesOver(SIZE), "verify through a cache");
    // A miss fills the cache tier: one pass verifies the backing store's bytes as the tier stores
    // them, one verifies the cached copy as it is served.
    assertArrayEquals(DATA, cache.loadBytes("a"));
    assertEquals(2, md5.passesOver(SIZE), "a load that fills the cache");
    assertArrayEquals(DATA, cache.loadBytes("a"));
    assertEquals(1, md5.passesOver(SIZE), "a load served by the cache");
    try (StoredObject stored = cache.loadObject("b")) {
      assertArrayEquals(DATA, stored.stream().readAllBytes());
    }
    assertEquals(1, md5.passesOver(SIZE), "loadObject through a cache");
  }

  @Test
  @DisplayName("through a mirror: one pass per stored copy, and the primary's own copy and move")
  void throughMirror() throws IOException {
    RecordingStorage primary = open(new RecordingStorage());
    TreeMapStorage secondary = new TreeMapStorage();
    MirroredStorage mirror = mirror(primary, secondary);
    Path file = file();
    md5.reset();
    mirror.storeBytes("a", DATA);
    assertEquals(2, md5.passesOver(SIZE), "storeBytes through a mirror: the primary's and the replica's");
    mirror.storePath("b", file);
    assertEquals(2, md5.passesOver(SIZE), "storePath through a mirror");
    assertEquals(List.of(true, true), primary.rereadable);

    primary.hookCalls.clear();
    mirror.copy("a", "c");
    assertEquals(2, md5.passesOver(SIZE), "copy through a mirror: the primary's copy and the replica");
    assertTrue(primary.hookCalls.contains("write c"), primary.hookCalls.toString());
    mirror.move("c", "d");
    assertEquals(2, md5.passesOver(SIZE), "move through a mirror (the primary's move is a copy here)");
    assertEquals(Metadata.of(DATA), secondary.getMetadata("d"));
    assertTrue(!secondary.exists("c") && !primary.exists("c"), "the move's source is gone from both");
  }

  @Test
  @DisplayName("a cache over a mirror: one pass per stored copy")
  void cacheOverMirror() {
    ExternalStorage chain = cache(mirror(open(new TreeMapStorage()), new TreeMapStorage()));
    md5.reset();
    chain.storeBytes("a", DATA);
    assertEquals(2, md5.passesOver(SIZE), "storeBytes through a cache over a mirror");
  }
}
