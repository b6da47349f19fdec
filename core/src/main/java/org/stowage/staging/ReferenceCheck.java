package org.stowage.staging;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.cas.Digest;

/**
 * A check of a content-addressed store and its references, like {@code git fsck}: which
 * references name content that is missing or damaged, and which content no reference holds. It
 * reports and never fixes; {@link #relink} is the one repair, and only on request.
 *
 * <ul>
 *   <li>Every reference's content is looked up where the reference says it is (one metadata
 *       request): absent is {@link Problem.Kind#MISSING}; an object there whose MD5 or size is
 *       not the reference's is {@link Problem.Kind#DAMAGED}.
 *   <li>A fraction of them ({@link Builder#verifyFraction}, all by default) is also read whole
 *       and checked against its SHA-256 digest: a mismatch is {@code DAMAGED}. The sample is
 *       chosen by location and {@link Builder#seed}, so a rerun with the same seed checks the same
 *       references.
 *   <li>Every object outside the content tree is read verified, as by a {@link ContentCollector}:
 *       one damaged (the store reports it changed, or its bytes do not match what the store
 *       recorded) is {@link Problem.Kind#DAMAGED_REFERENCE}, since whether it was a reference and
 *       what it named cannot be told; one whose stored bytes begin with the reference magic but do
 *       not parse is {@link Problem.Kind#MALFORMED_REFERENCE}. Either makes a collection refuse to
 *       sweep ({@link CollectionRefusedException}).
 *   <li>Content objects whose digest no reference names are counted as unreferenced (garbage a
 *       {@link ContentCollector} would reclaim). The referenced digests are held in a Bloom
 *       filter, so a few unreferenced objects may be missed (about 1%); none is reported wrongly.
 * </ul>
 *
 * <p>Memory and disk as for {@link ContentCollector}. Not thread-safe; the stores stay the
 * caller's.
 */
public final class ReferenceCheck {
  /** How many problems, and unreferenced locations, a report lists (all are counted). */
  public static final int MAX_LISTED = 1000;

  private final ContentAddressedStore cas;
  private final ContentLayout layout;
  private final ScanOptions scan;
  private final double verifyFraction;
  private final long seed;

  private ReferenceCheck(Builder b) {
    this.cas = b.cas;
    this.layout = new ContentLayout(b.cas);
    this.scan = b.scan.freeze();
    this.verifyFraction = b.verifyFraction;
    this.seed = b.seed;
  }

  /**
   * Starts a builder for a check of {@code cas} and the references in its store.
   *
   * @param cas the content-addressed store to check; its storage is scanned for references too, and
   *     it stays the caller's
   * @return a new builder with the default options
   */
  public static Builder builder(ContentAddressedStore cas) {
    return new Builder(cas);
  }

  /**
   * One reference that does not resolve to its content.
   *
   * @param location where the reference is
   * @param digest the content it names; {@code null} for a {@link Kind#DAMAGED_REFERENCE} or
   *     {@link Kind#MALFORMED_REFERENCE}, whose digest cannot be read
   * @param kind what is wrong
   * @param detail what was found, for people
   * @param relinkable whether content of the same digest is present at the store's own location
   *     for it, so that {@link ReferenceCheck#relink} would repair the reference
   */
  public record Problem(String location, Digest digest, Kind kind, String detail, boolean relinkable) {
    /** What is wrong with a reference. */
    public enum Kind {
      /** Nothing is at the content location the reference names. */
      MISSING,
      /** The object there is not the content the digest names. */
      DAMAGED,
      /**
       * The reference itself (or an object outside the content tree that may be one) is damaged:
       * the store reports it changed behind its back (rule R3), or its bytes do not match the MD5
       * and size recorded for them. Restore it or delete it; {@link ReferenceCheck#relink} refuses it.
       */
      DAMAGED_REFERENCE,
      /**
       * The object's stored bytes begin with the reference magic ({@code
       * stowage-content-reference }) but do not parse as a reference. Restore it or delete it.
       */
      MALFORMED_REFERENCE
    }
  }

  /**
   * What a check found.
   *
   * @param references references checked
   * @param contentObjects content objects listed
   * @param verified references whose content was read whole and checked against its digest
   * @param problemCount references whose content is missing or damaged, and unreadable references
   * @param problems the first {@link #MAX_LISTED} of them
   * @param unreferencedCount content objects no reference names
   * @param unreferenced the locations of the first {@link #MAX_LISTED} of them
   */
  public record Report(
      long references, long contentObjects, long verified, long problemCount, List<Problem> problems,
      long unreferencedCount, List<String> unreferenced) {
    /**
     * Copies the lists.
     *
     * @param references how many references were checked
     * @param contentObjects how many content objects were listed
     * @param verified how many references had their content read whole and checked
     * @param problemCount how many references named missing or damaged content, or were damaged or
     *     malformed themselves
     * @param problems the first of those problems, copied
     * @param unreferencedCount how many content objects no reference names
     * @param unreferenced the locations of the first of those objects, copied
     */
    public Report {
      problems = List.copyOf(problems);
      unreferenced = List.copyOf(unreferenced);
    }

    /**
     * Whether every reference is whole and resolves to whole content.
     *
     * @return true if {@link #problemCount()} is zero
     */
    public boolean referencesIntact() {
      return problemCount == 0;
    }
  }

  /**
   * Runs the check.
   *
   * @return what the check found; the stores are only read
   * @throws ExternalResourceException if a store fails
   */
  public Report check() {
    DigestFilter referenced = new DigestFilter(scan.filterCapacity(), ScanOptions.DEFAULT_FALSE_POSITIVE_RATE);
    AtomicLong references = new AtomicLong();
    AtomicLong verified = new AtomicLong();
    AtomicLong problemCount = new AtomicLong();
    AtomicLong contentObjects = new AtomicLong();
    List<Problem> problems = new ArrayList<>();
    ReferenceScan.ReferenceSink sink = (store, location, reference) -> {
      referenced.put(ContentLayout.key(reference.digest()));
      references.incrementAndGet();
      Problem p = checkOne(location, reference, verified);
      if (p != null) {
        problemCount.incrementAndGet();
        synchronized (problems) {
          if (problems.size() < MAX_LISTED) {
            problems.add(p);
          }
        }
      }
    };
    ReferenceScan.UnreadableSink unreadable = (store, found) -> {
      problemCount.incrementAndGet();
      Problem.Kind kind = found.reason() == CollectionReport.UnreadableReference.Reason.DAMAGED
          ? Problem.Kind.DAMAGED_REFERENCE
          : Problem.Kind.MALFORMED_REFERENCE;
      synchronized (problems) {
        if (problems.size() < MAX_LISTED) {
          problems.add(new Problem(found.location(), null, kind, found.detail(), false));
        }
      }
    };
    List<String> unreferenced = new ArrayList<>();
    long[] unreferencedCount = {0};
    try (ContentSpool spool = new ContentSpool(scan.spoolDirectory(), "fsck-content");
        BoundedWorkers workers = new BoundedWorkers(scan.parallelism(), "stowage-fsck-worker")) {
      scan.scanAll(cas.storage(), layout, key -> {
        contentObjects.incrementAndGet();
        spool.add(key);
      }, sink, unreadable, workers, n -> {});
      workers.await();
      spool.forEach(key -> {
        if (!referenced.mightContain(key)) {
          if (unreferencedCount[0]++ < MAX_LISTED) {
            unreferenced.add(layout.location(key));
          }
        }
      });
    }
    List<Problem> sorted = new ArrayList<>(problems);
    sorted.sort(java.util.Comparator.comparing(Problem::location));
    return new Report(references.get(), contentObjects.get(), verified.get(), problemCount.get(), sorted,
        unreferencedCount[0], unreferenced);
  }

  private Problem checkOne(String location, ContentReference reference, AtomicLong verified) {
    ExternalStorage storage = cas.storage();
    Digest digest = reference.digest();
    String at = reference.contentLocation();
    Optional<Metadata> found = storage.findMetadata(at);
    if (found.isEmpty()) {
      return new Problem(location, digest, Problem.Kind.MISSING, "nothing is at " + at, relinkable(reference));
    }
    if (!found.get().equals(reference.metadata())) {
      return new Problem(location, digest, Problem.Kind.DAMAGED,
          at + " has " + found.get() + ", the reference says " + reference.metadata(), relinkable(reference));
    }
    if (!sampled(location)) {
      return null;
    }
    verified.incrementAndGet();
    String wrong = digestMismatch(storage, at, digest);
    return wrong == null ? null : new Problem(location, digest, Problem.Kind.DAMAGED, wrong, relinkable(reference));
  }

  /** Whether the reference's canonical content location (not the one it names) holds its content whole. */
  private boolean relinkable(ContentReference reference) {
    String canonical = cas.location(reference.digest());
    return !canonical.equals(reference.contentLocation())
        && cas.storage().findMetadata(canonical).isPresent()
        && digestMismatch(cas.storage(), canonical, reference.digest()) == null;
  }

  private boolean sampled(String location) {
    return verifyFraction >= 1 || new SplittableRandom(seed ^ location.hashCode()).nextDouble() < verifyFraction;
  }

  /** Reads {@code location} whole; null if it hashes to {@code digest}, else what differs. */
  static String digestMismatch(ExternalStorage storage, String location, Digest digest) {
    try (InputStream in = org.stowage.VerifyingInputStream.ofDigest(
        storage.loadStream(location), Digest.newMessageDigest(digest.algorithm()), digest.hex(), digest.size(),
        location, storage + ": reference check", "C3")) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return null;
    } catch (ChangedExternalResourceException e) {
      return e.getMessage();
    } catch (MissingExternalResourceException e) {
      return "nothing is at " + location;
    } catch (IOException e) {
      throw new ExternalResourceException(storage + ": cannot read " + location + ": " + e, location, e);
    }
  }

  /**
   * Repairs one reference: points the reference at {@code location} of {@code storage} to the
   * content of the same digest at {@code cas}'s own location for it, after checking that content
   * whole against the digest. The reference's digest never changes.
   *
   * @param storage the store that holds the reference
   * @param location the reference's location, per rule L2
   * @param cas the content-addressed store whose content the reference should name
   * @return true if the reference was rewritten; false if it already names that location with the
   *     right MD5, or no whole content of its digest is there
   * @throws IllegalArgumentException if the object at {@code location} is not a reference, or is
   *     a malformed one
   * @throws ChangedExternalResourceException if the reference is damaged (read verified against the
   *     metadata the store recorded for it): its digest cannot be trusted, so it is not rewritten
   * @throws MissingExternalResourceException if nothing is at {@code location}
   */
  public static boolean relink(ExternalStorage storage, String location, ContentAddressedStore cas) {
    ReferenceScan.Found found = ReferenceScan.read(storage, location);
    if (found.unreadable() != null && found.unreadable().reason() == CollectionReport.UnreadableReference.Reason.DAMAGED) {
      throw new ChangedExternalResourceException(storage + ": cannot relink " + location + ": "
          + found.unreadable().detail(), location);
    }
    if (found == ReferenceScan.Found.GONE) {
      throw new MissingExternalResourceException(storage + ": cannot relink " + location
          + ": no object is there", location);
    }
    ContentReference reference = found.reference();
    if (reference == null) {
      throw new IllegalArgumentException(storage + ": " + location + " is not a content reference"
          + (found.unreadable() == null ? "" : ": " + found.unreadable().detail()));
    }
    String canonical = cas.location(reference.digest());
    Optional<Metadata> present = cas.storage().findMetadata(canonical);
    if (present.isEmpty() || digestMismatch(cas.storage(), canonical, reference.digest()) != null) {
      return false;
    }
    ContentReference relinked = new ContentReference(reference.digest(), present.get(), canonical);
    if (relinked.equals(reference)) {
      return false;
    }
    storage.storeBytes(location, relinked.toBytes(), WritePolicy.OVERWRITE);
    return true;
  }

  /** Options for a {@link ReferenceCheck}. */
  public static final class Builder {
    private final ContentAddressedStore cas;
    private final ScanOptions.Settings scan = new ScanOptions.Settings();
    private double verifyFraction = 1.0;
    private long seed = 0;

    private Builder(ContentAddressedStore cas) {
      this.cas = Objects.requireNonNull(cas, "cas");
    }

    /**
     * Also checks the references in {@code store} (their content is in the checked store).
     *
     * @param store a further store to check the references of; it stays the caller's
     * @return this builder
     * @throws NullPointerException if {@code store} is null
     */
    public Builder referencesIn(ExternalStorage store) {
      scan.referencesIn(store);
      return this;
    }

    /**
     * The fraction of references whose content is read whole and checked by digest; 1 by default.
     *
     * @param fraction the fraction to read and check, from 0 to 1
     * @return this builder
     * @throws IllegalArgumentException if {@code fraction} is outside 0 to 1
     */
    public Builder verifyFraction(double fraction) {
      if (!(fraction >= 0 && fraction <= 1)) {
        throw new IllegalArgumentException("verifyFraction must be in [0, 1]: " + fraction);
      }
      this.verifyFraction = fraction;
      return this;
    }

    /**
     * The seed that chooses the sample; 0 by default.
     *
     * @param seed the seed of the sample
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * How many references are checked at once; at least 1.
     *
     * @param threads the most references checked at once, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code threads} is less than 1
     */
    public Builder parallelism(int threads) {
      scan.parallelism(threads);
      return this;
    }

    /**
     * About how many objects the stores hold; sizes the Bloom filter (see {@link
     * ContentCollector}).
     *
     * @param objects the expected number of objects, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code objects} is less than 1
     */
    public Builder expectedObjects(long objects) {
      scan.expectedObjects(objects);
      return this;
    }

    /**
     * Where the spool file goes; the JVM's temporary directory by default.
     *
     * @param directory the directory for the spool file
     * @return this builder
     * @throws NullPointerException if {@code directory} is null
     */
    public Builder spoolDirectory(Path directory) {
      scan.spoolDirectory(directory);
      return this;
    }

    /**
     * Builds the check.
     *
     * @return a new check; nothing is read until {@link ReferenceCheck#check()} runs
     */
    public ReferenceCheck build() {
      return new ReferenceCheck(this);
    }
  }
}
