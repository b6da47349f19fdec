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
import org.stowage.ListedObject;
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
    MOVE_LOSES_SOURCE,
    /**
     * Keeps a view of the caller's array for objects over 4 KiB, reading it only when the object
     * is loaded, as a zero-copy optimisation would (S6). The core makes such late reads fail.
     */
    KEEPS_CALLERS_ARRAY,
    /** loadBytes returns the stored array itself for objects over 4 KiB (R6). */
    SHARES_LOADED_ARRAY,
    /** uri() folds the location to lower case, so "a" and "A" share one URI (L6). */
    FOLDS_URI_CASE,
    /** delete removes the location and everything below it, as {@code rm -r} would (D2). */
    DELETES_NESTED,
    /**
     * The listing comes in pages of 1,000, and each page after the first skips the first object
     * after the last one listed, an off-by-one in the continuation (I5).
     */
    LOSES_PAGE_BOUNDARY,
    /**
     * Puts a root of 124 bytes in front of every location and refuses what the root makes longer
     * than 1024 bytes, but with a plain ExternalResourceException that neither names L1 nor the
     * limit (L1.3). Its test declares the limit, 900.
     */
    ROOT_LIMIT_UNNAMED,
    /**
     * A listing after a bound compares the bound with {@link String#compareTo}, in UTF-16 order,
     * where U+E000 to U+FFFF sort after the surrogate pairs of characters above U+FFFF; in UTF-8
     * order they sort before them (I7).
     */
    BOUND_IN_UTF16_ORDER,
    /**
     * Lists objects without their content, as the default {@code iterObjects} hook does, while
     * its test declares that it reads small objects with its listing (I8): a backend whose faster
     * listing is declared but never switched on. The flaw is the declaration alone: this storage
     * keeps the default hook, so no code here tests for this value.
     */
    READS_NOTHING_WITH_LISTING,
    /**
     * Lists each object with the content and recorded metadata of the object listed before it, an
     * off-by-one between the listing and its reads (I8). The core cannot tell: the content hashes
     * to the metadata it comes with.
     */
    LISTS_NEIGHBOURS_CONTENT
  }

  /** A kept view of a caller's array, and the metadata hashed from it. */
  private record View(InputStream stream, Metadata metadata) {}

  private final java.util.Map<String, View> views = new java.util.concurrent.ConcurrentHashMap<>();

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
    if (flaw == Flaw.ROOT_LIMIT_UNNAMED
        && location.value().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 900) {
      throw new org.stowage.ExternalResourceException(this + ": the key is too long", location.value(), null);
    }
    if (flaw == Flaw.KEEPS_CALLERS_ARRAY && source.isRereadable()) {
      Metadata md = source.precomputeMetadata();
      if (md.size() > 4096) {
        if (!inner.putDirectly(target.value(), new byte[(int) md.size()], replaceExisting)) {
          return false;
        }
        views.put(target.value(), new View(source.openRange(0, md.size()), md));
        return true;
      }
      try (InputStream in = source.openRange(0, md.size())) {
        return inner.putDirectly(target.value(), in.readAllBytes(), replaceExisting);
      }
    }
    views.remove(target.value());
    return inner.writeObject(target, source, replaceExisting || flaw == Flaw.IGNORES_CREATE);
  }

  @Override
  protected InputStream openObject(Location location) throws IOException {
    View view = views.get(location.value());
    if (view != null) {
      return view.stream();
    }
    if (flaw == Flaw.SHARES_LOADED_ARRAY) {
      byte[] stored = inner.storedArray(location.value());
      if (stored != null && stored.length > 4096) {
        return new ByteArrayInputStream(stored) {
          @Override
          public synchronized byte[] readAllBytes() {
            return pos == 0 ? stored : super.readAllBytes();
          }
        };
      }
    }
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
    View view = views.get(location.value());
    if (view != null) {
      return view.metadata();
    }
    return inner.objectMetadata(rewrite(location));
  }

  @Override
  protected boolean deleteObject(Location location) {
    if (flaw == Flaw.DELETE_KEEPS_OBJECT) {
      return inner.objectExists(rewrite(location));
    }
    views.remove(location.value());
    if (flaw == Flaw.DELETES_NESTED) {
      boolean any = inner.deleteObject(location);
      for (String below : inner.listObjects(location.value() + "/").toList()) {
        any |= inner.deleteObject(Location.of(below));
      }
      return any;
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
    if (flaw != Flaw.LOSES_PAGE_BOUNDARY) {
      return inner.listObjects(prefix);
    }
    java.util.List<String> all = inner.listObjects(prefix).toList();
    java.util.List<String> out = new java.util.ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      if (i == 0 || i % 1000 != 0) {
        out.add(all.get(i));
      }
    }
    return out.stream();
  }

  @Override
  protected Stream<String> listObjects(String prefix, String startAfter) throws IOException {
    if (flaw != Flaw.BOUND_IN_UTF16_ORDER) {
      return super.listObjects(prefix, startAfter);
    }
    return listObjects(prefix).filter(location -> location.compareTo(startAfter) > 0);
  }

  @Override
  protected Stream<ListedObject> listObjects(String prefix, String startAfter, int maxBytes)
      throws IOException {
    if (flaw != Flaw.LISTS_NEIGHBOURS_CONTENT) {
      return super.listObjects(prefix, startAfter, maxBytes);
    }
    java.util.List<ListedObject> out = new java.util.ArrayList<>();
    ListedObject previous = null;
    for (ListedObject object : inner.listObjects(prefix, startAfter, Integer.MAX_VALUE).toList()) {
      out.add(previous != null && previous.content().length <= maxBytes
          ? ListedObject.withContent(object.location(), previous.metadata(), previous.content())
          : ListedObject.of(object.location()));
      previous = object;
    }
    return out.stream();
  }

  @Override
  protected URI objectUri(Location location) throws IOException {
    if (flaw == Flaw.FOLDS_URI_CASE) {
      return inner.objectUri(Location.of(location.value().toLowerCase(java.util.Locale.ROOT)));
    }
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
