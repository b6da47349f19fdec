package org.stowage.staging;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.cas.Digest;

/**
 * The writer's half of the collection protocol (docs/staging.md, "Lifecycle"): run after a
 * transfer has committed its references, it makes sure that no collection deletes their content.
 *
 * <ol>
 *   <li>List the collection markers. For each live one: while it is {@code marking}, leave a late
 *       root naming this transfer's digests and read the marker again; if it is still {@code
 *       marking}, the collection will read the root before it deletes anything. If it is (or
 *       becomes) {@code sweeping}, wait until it is gone.
 *   <li>Then check that every digest's content is present, and store again, from the scratch
 *       file, what is not (a collection that began before the references were committed may have
 *       deleted it).
 * </ol>
 *
 * <p>A collection that starts marking after the references were committed lists them, so it
 * never deletes their content; one that started before has its marker in the listing of step 1,
 * or had ended before step 2. Abandoned markers (a killed collection's) are ignored: see {@link
 * CollectionMarker#abandonedAt}.
 */
final class CollectionFence {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(CollectionFence.class);
  }
  private static final long MAX_POLL_MILLIS = 1000;

  private CollectionFence() {}

  /**
   * Protects the content of {@code entries} (those with a digest), whose references are already
   * committed. Returns how many contents had to be stored again.
   *
   * @throws ExternalResourceException if content must be stored again and its source file is
   *     gone, or the storage fails
   */
  static int protect(ContentAddressedStore cas, List<TransferReport.Entry> entries) {
    List<TransferReport.Entry> content = entries.stream().filter(e -> e.digest() != null).toList();
    if (content.isEmpty()) {
      return 0;
    }
    ContentLayout layout = new ContentLayout(cas);
    ExternalStorage storage = cas.storage();
    for (String marker : markers(storage, layout)) {
      CollectionMarker m = read(storage, marker);
      if (m == null || m.abandonedAt(System.currentTimeMillis())) {
        continue;
      }
      if (m.state() == CollectionMarker.State.MARKING) {
        leaveLateRoot(storage, marker, content);
        m = read(storage, marker);
        if (m == null || m.state() == CollectionMarker.State.MARKING) {
          continue; // the collection reads the root before it deletes, or has ended
        }
      }
      awaitEnd(storage, marker);
    }
    int restored = 0;
    for (TransferReport.Entry e : content) {
      Digest digest = e.digest();
      if (storage.exists(cas.location(digest))) {
        continue;
      }
      if (!Files.isRegularFile(e.source())) {
        throw new ExternalResourceException(
            cas + ": the content " + digest + " of " + e.location() + " was deleted by a garbage"
                + " collection that began before its reference was committed, and its source file "
                + e.source() + " is gone; transfer the unit again",
            e.location(), null);
      }
      ContentAddressedStore.Insertion put = cas.insert(e.source());
      if (!put.digest().equals(digest)) {
        throw new ExternalResourceException(
            cas + ": the content " + digest + " of " + e.location() + " was deleted by a garbage"
                + " collection, and its source file " + e.source() + " has changed since (" + put.digest()
                + "); transfer the unit again", e.location(), null);
      }
      Log.LOG.info("{}: stored {} again: a concurrent garbage collection had deleted it", cas, digest);
      restored++;
    }
    return restored;
  }

  /** The locations of the collection markers: direct children of the collections prefix. */
  static List<String> markers(ExternalStorage storage, ContentLayout layout) {
    String prefix = layout.collections();
    try (Stream<String> listed = storage.iterContents(prefix)) {
      return listed.filter(l -> l.indexOf('/', prefix.length()) < 0).toList();
    }
  }

  /** The marker at {@code location}, or {@code null} if it is gone or is not a marker. */
  static CollectionMarker read(ExternalStorage storage, String location) {
    try {
      return CollectionMarker.parse(storage.loadBytes(location));
    } catch (MissingExternalResourceException e) {
      return null;
    }
  }

  /** The prefix of the late roots of the collection whose marker is at {@code marker}. */
  static String rootsPrefix(String marker) {
    return marker + "/roots/";
  }

  private static void leaveLateRoot(ExternalStorage storage, String marker, List<TransferReport.Entry> content) {
    StringBuilder text = new StringBuilder();
    for (TransferReport.Entry e : content) {
      text.append("digest ").append(e.digest()).append('\n');
    }
    storage.storeBytes(
        rootsPrefix(marker) + UUID.randomUUID(), text.toString().getBytes(StandardCharsets.UTF_8),
        WritePolicy.CREATE);
  }

  private static void awaitEnd(ExternalStorage storage, String marker) {
    long pause = 10;
    Log.LOG.info("{}: waiting for the garbage collection {} to finish sweeping", storage, marker);
    while (true) {
      CollectionMarker m = read(storage, marker);
      if (m == null || m.abandonedAt(System.currentTimeMillis())) {
        return;
      }
      try {
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ExternalResourceException(
            storage + ": interrupted while waiting for the garbage collection " + marker + " to end",
            marker, e);
      }
      pause = Math.min(MAX_POLL_MILLIS, pause * 2);
    }
  }

  /**
   * The digests a late root names.
   *
   * @throws IllegalArgumentException if a line is not {@code digest <digest>}: a root that cannot
   *     be read, which the collection must not sweep past
   */
  static List<Digest> parseLateRoot(byte[] bytes) {
    List<Digest> digests = new ArrayList<>();
    if (bytes.length == 0) {
      return digests;
    }
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      if (!line.startsWith("digest ")) {
        throw new IllegalArgumentException("a line is not \"digest <digest>\": " + Location.quote(line));
      }
      try {
        digests.add(Digest.parse(line.substring(7)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("a line names something that is not a digest: " + Location.quote(line), e);
      }
    }
    return digests;
  }
}
