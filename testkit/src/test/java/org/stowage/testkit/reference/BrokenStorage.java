package org.stowage.testkit.reference;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.stream.Stream;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.ObjectSource;

/**
 * The reference backend with one deliberate flaw, for checking that the kit catches it and names
 * the rule. Each flaw is a mistake a real backend could make.
 */
public final class BrokenStorage extends ExternalStorage {

  /** The flaws. */
  public enum Flaw {
    /**
     * Rewrites every location to Unicode NFC before storing, as macOS filesystems and some
     * well-meaning code do: {@code "cafe\u0301"} and {@code "caf\u00e9"} become one object (L3).
     * (A backend cannot accept {@code ..}: the core rejects it before any hook runs, so rewriting
     * is the way a backend breaks the location rules.)
     */
    REWRITES_LOCATIONS,
    /**
     * A store whose source fails leaves the bytes read so far behind, visible as the object
     * {@code <location>.tmp}: a valid location, so the core's listing cannot filter it (S2).
     */
    LEAVES_TEMP_OBJECT,
    /** delete and deleteIfExists report success and leave the object (D1). */
    DELETE_KEEPS_OBJECT,
    /** Reads give all bytes but the last, without an error (R1; verified loads catch it, R2). */
    TRUNCATES_READS,
    /** Stores as if every policy were OVERWRITE: CREATE never refuses (S5). */
    IGNORES_CREATE,
    /**
     * A move deletes the source first, then stores at the target: a move that the target's policy
     * refuses has lost the object (M2).
     */
    MOVE_LOSES_SOURCE
  }

  private final ReferenceStorage inner = new ReferenceStorage(new ReferenceStorage.Root(), "inner");
  private final Flaw flaw;

  /** An empty store with {@code flaw}. */
  public BrokenStorage(Flaw flaw) {
    this.flaw = flaw;
  }

  @Override
  protected boolean writeObject(Location location, ObjectSource source, boolean replaceExisting)
      throws IOException {
    Location target = rewrite(location);
    if (flaw == Flaw.LEAVES_TEMP_OBJECT) {
      ByteArrayOutputStream written = new ByteArrayOutputStream();
      try {
        source.transferTo(written);
      } catch (IOException e) {
        inner.putDirectly(target.value() + ".tmp", written.toByteArray(), true);
        throw e;
      }
      return inner.putDirectly(target.value(), written.toByteArray(), replaceExisting);
    }
    return inner.writeObject(target, source, replaceExisting || flaw == Flaw.IGNORES_CREATE);
  }

  @Override
  protected InputStream openObject(Location location) throws IOException {
    InputStream in = inner.openObject(rewrite(location));
    if (in == null || flaw != Flaw.TRUNCATES_READS) {
      return in;
    }
    try (in) {
      byte[] all = in.readAllBytes();
      return new ByteArrayInputStream(Arrays.copyOf(all, Math.max(0, all.length - 1)));
    }
  }

  @Override
  protected boolean objectExists(Location location) {
    return inner.objectExists(rewrite(location));
  }

  @Override
  protected Metadata objectMetadata(Location location) {
    return inner.objectMetadata(rewrite(location));
  }

  @Override
  protected boolean deleteObject(Location location) {
    if (flaw == Flaw.DELETE_KEEPS_OBJECT) {
      return inner.objectExists(rewrite(location));
    }
    return inner.deleteObject(rewrite(location));
  }

  @Override
  protected Metadata moveObject(Location from, Location to, boolean replaceExisting)
      throws IOException {
    if (flaw != Flaw.MOVE_LOSES_SOURCE) {
      return super.moveObject(from, to, replaceExisting);
    }
    InputStream in = inner.openObject(from);
    if (in == null) {
      throw new java.nio.file.NoSuchFileException(from.value());
    }
    byte[] data;
    try (in) {
      data = in.readAllBytes();
    }
    inner.deleteObject(from);
    return inner.putDirectly(to.value(), data, replaceExisting) ? Metadata.of(data) : null;
  }

  @Override
  protected Stream<String> listObjects(String prefix) {
    return inner.listObjects(prefix);
  }

  @Override
  protected URI objectUri(Location location) throws IOException {
    return inner.objectUri(rewrite(location));
  }

  @Override
  public String toString() {
    return "BrokenStorage[" + flaw + "]";
  }

  private Location rewrite(Location location) {
    if (flaw != Flaw.REWRITES_LOCATIONS) {
      return location;
    }
    return Location.of(Normalizer.normalize(location.value(), Normalizer.Form.NFC));
  }
}
