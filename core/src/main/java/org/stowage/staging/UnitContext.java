package org.stowage.staging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.cas.ContentAddressedStore;

/**
 * Everything one attempt of one unit of work needs to keep its outputs: a fresh scratch
 * directory, and two {@link StorageManager}s over two stores with the same namespace. gufe's
 * {@code Context}, done right.
 *
 * <ul>
 *   <li>{@link #shared()}: outputs that later units of this run read (gufe's {@code shared}).
 *   <li>{@link #permanent()}: results to keep after the run (gufe's {@code permanent}).
 * </ul>
 *
 * <p>Use it with try-with-resources around the unit's code:
 *
 * <pre>{@code
 * try (UnitContext ctx = UnitContext.builder(shared, permanent, "dag-7", "simulate").attempt(2).build()) {
 *   Path out = ctx.scratch().resolve("traj.dcd");
 *   ... write out ...
 *   String handle = ctx.shared().register("traj.dcd");   // pass handle to later units
 * }
 * }</pre>
 *
 * <p><b>Closing</b> transfers both managers (both are tried even if the first fails), then, if
 * both succeeded and the policy says so, deletes scratch. If the unit's code threw, its exception
 * is the one that propagates and a transfer failure is attached to it as suppressed, never in its
 * place (that is how try-with-resources treats {@link #close()}'s exception).
 *
 * <p><b>Attempts.</b> Each attempt of a retried unit stores under its own namespace, {@code
 * <dag>/<unit>/attempt-<n>} (attempt 1 unless the builder says otherwise), so one attempt's
 * leftovers never pass for another's results. The final results live under the namespace of the
 * attempt that succeeded; the handles that attempt's {@code register} calls returned name it, and
 * those are what the engine passes on. A failed attempt's outputs stay under its own namespace,
 * for inspection, until someone deletes them.
 */
public final class UnitContext implements AutoCloseable {
  private final Path scratch;
  private final int attempt;
  private final StorageManager shared;
  private final StorageManager permanent;
  private final ScratchPolicy scratchPolicy;
  private boolean closed;
  private boolean succeeded;

  private UnitContext(Builder b) {
    this.attempt = b.attempt;
    this.scratchPolicy = b.scratchPolicy;
    try {
      Files.createDirectories(b.scratchRoot);
      this.scratch = Files.createTempDirectory(
          b.scratchRoot, b.dagLabel + "-" + b.unitLabel + "-attempt-" + b.attempt + "-");
    } catch (IOException e) {
      throw new ExternalResourceException(
          "cannot create a scratch directory under " + b.scratchRoot + ": " + e, e);
    }
    this.shared = manager(b, b.shared);
    this.permanent = manager(b, b.permanent);
  }

  private StorageManager manager(Builder b, ExternalStorage storage) {
    StorageManager.Builder m = StorageManager.builder(scratch, storage, b.dagLabel, b.unitLabel)
        .attempt(b.attempt)
        .scratchPolicy(ScratchPolicy.KEEP)
        .parallelism(b.managers.parallelism());
    if (b.contentAddressed) {
      m.contentAddressed(storage == b.shared ? b.sharedCas() : b.permanentCas());
    }
    return m.build();
  }

  /**
   * Starts a builder.
   *
   * @param shared the store for outputs later units of the run read
   * @param permanent the store for results kept after the run (may be the same as {@code shared})
   * @param dagLabel the run's label, one location segment
   * @param unitLabel the unit's label, one location segment
   * @return a new builder with the default options
   */
  public static Builder builder(ExternalStorage shared, ExternalStorage permanent, String dagLabel, String unitLabel) {
    return new Builder(shared, permanent, dagLabel, unitLabel);
  }

  /**
   * This attempt's scratch directory: a fresh, empty directory made for it.
   *
   * @return the absolute path of this attempt's scratch directory
   */
  public Path scratch() {
    return scratch;
  }

  /**
   * The attempt number, from 1.
   *
   * @return the attempt number, 1 or more
   */
  public int attempt() {
    return attempt;
  }

  /**
   * The namespace both managers store under: {@code <dag>/<unit>/attempt-<n>}.
   *
   * @return the namespace, without a trailing {@code /}
   */
  public String namespace() {
    return shared.namespace();
  }

  /**
   * The manager for outputs later units of this run read.
   *
   * @return the manager that stores into the shared store; closing this context transfers it
   */
  public StorageManager shared() {
    return shared;
  }

  /**
   * The manager for results kept after the run.
   *
   * @return the manager that stores into the permanent store; closing this context transfers it
   */
  public StorageManager permanent() {
    return permanent;
  }

  /**
   * Transfers both managers, then cleans scratch per policy if both succeeded. Idempotent.
   *
   * <p>Under {@link ScratchPolicy#DELETE_AFTER_TRANSFER}, once every file registered with either
   * manager is known to be there, files move into their stores instead of being copied (see
   * {@link StorageManager}, "Moving at close"): a file registered with both managers is copied
   * into the shared store and moved into the permanent one. If a file is missing, nothing moves:
   * both managers copy, as under {@code KEEP}, and report what is missing.
   *
   * @throws ExternalResourceException the first transfer failure, with the second as suppressed
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    // One look at each file in scratch: the all-or-nothing check and the transfers share it.
    StorageManager.Scan sharedScan = shared.scanScratch();
    StorageManager.Scan permanentScan = permanent.scanScratch();
    boolean move = scratchPolicy == ScratchPolicy.DELETE_AFTER_TRANSFER
        && sharedScan.missing().isEmpty() && permanentScan.missing().isEmpty();
    java.util.Set<String> alsoPermanent = permanent.registeredFiles();
    RuntimeException failure = null;
    for (StorageManager m : new StorageManager[] {shared, permanent}) {
      try {
        m.closeTransfer(new StorageManager.Moves(move, m == permanent, alsoPermanent), m == shared ? sharedScan : permanentScan);
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
    if (succeeded) {
      recordSuccess();
    }
    if (scratchPolicy == ScratchPolicy.DELETE_AFTER_TRANSFER) {
      StorageManager.deleteTree(scratch);
    }
  }

  /**
   * Deletes the scratch directory of a failed attempt: what an engine calls once it has given up
   * on an attempt whose {@link #close()} threw (a missing output, a failed transfer), which keeps
   * scratch so that nothing is lost. Nothing else deletes it: not the next attempt (which has its
   * own scratch directory) and not the JVM. The attempt's stored outputs stay in the stores under
   * its namespace; this deletes only local files. Call it only after {@link #close()}; idempotent.
   *
   * @throws IllegalStateException if the context is not closed yet
   * @throws ExternalResourceException if a file cannot be deleted
   */
  public synchronized void discardScratch() {
    if (!closed) {
      throw new IllegalStateException(this + ": discardScratch() before close(); close it first");
    }
    StorageManager.deleteTree(scratch, true);
  }

  /**
   * Declares that the unit's code finished successfully: {@link #close()} then writes the
   * attempt's success marker, {@code <dag>/<unit>/attempt-<n>.succeeded}, in each store, once
   * both transfers succeeded. The retention rules of {@link Namespaces} read it. Call it as the
   * last statement of the unit's code; a unit that throws never reaches it, and {@code close}
   * cannot tell on its own.
   */
  public synchronized void succeeded() {
    this.succeeded = true;
  }

  /** The success marker the retention rules read (see {@link Namespaces}), in each store. */
  private void recordSuccess() {
    java.time.Instant now = java.time.Instant.now();
    Namespaces.recordSuccess(shared.storage(), namespace(), now);
    if (permanent.storage() != shared.storage()) {
      Namespaces.recordSuccess(permanent.storage(), namespace(), now);
    }
  }

  @Override
  public String toString() {
    return "UnitContext[" + namespace() + "]";
  }

  /** Options for a {@link UnitContext}. */
  public static final class Builder {
    private final ExternalStorage shared;
    private final ExternalStorage permanent;
    private final String dagLabel;
    private final String unitLabel;
    private Path scratchRoot = Path.of(System.getProperty("java.io.tmpdir"));
    private int attempt = 1;
    private ScratchPolicy scratchPolicy = ScratchPolicy.DELETE_AFTER_TRANSFER;
    private boolean contentAddressed;
    /** Checks the labels, and holds the options both managers share. */
    private final StorageManager.Builder managers;
    private ContentAddressedStore sharedCas;
    private ContentAddressedStore permanentCas;

    private Builder(ExternalStorage shared, ExternalStorage permanent, String dagLabel, String unitLabel) {
      this.shared = Objects.requireNonNull(shared, "shared");
      this.permanent = Objects.requireNonNull(permanent, "permanent");
      this.dagLabel = dagLabel;
      this.unitLabel = unitLabel;
      this.managers = StorageManager.builder(Path.of("."), shared, dagLabel, unitLabel);
    }

    /**
     * Where the scratch directory is made: a fresh directory {@code
     * <dag>-<unit>-attempt-<n>-<random>} inside {@code directory}, which is created if needed. By
     * default the JVM's temporary directory ({@code java.io.tmpdir}). Put it on the same
     * filesystem as a {@code FileStorage} root so that files move into the store by a rename.
     *
     * @param directory the directory to make scratch directories in
     * @return this builder
     * @throws NullPointerException if {@code directory} is null
     */
    public Builder scratchRoot(Path directory) {
      this.scratchRoot = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /**
     * The attempt number, from 1 (the default).
     *
     * @param attempt the attempt number, 1 or more
     * @return this builder
     * @throws IllegalArgumentException if {@code attempt} is less than 1
     */
    public Builder attempt(int attempt) {
      if (attempt < 1) {
        throw new IllegalArgumentException("attempts are numbered from 1: " + attempt);
      }
      this.attempt = attempt;
      return this;
    }

    /**
     * What closing does with scratch; {@link ScratchPolicy#DELETE_AFTER_TRANSFER} by default (files
     * then move into the stores, see {@link UnitContext#close()}).
     *
     * @param policy what closing does with scratch
     * @return this builder
     * @throws NullPointerException if {@code policy} is null
     */
    public Builder scratchPolicy(ScratchPolicy policy) {
      this.scratchPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Stores content once, content-addressed, under {@code cas/} of each store, with references
     * at the namespaced locations (see {@link StorageManager}).
     *
     * @param enabled true to store content once, content-addressed, with references at the
     *     locations
     * @return this builder
     */
    public Builder contentAddressed(boolean enabled) {
      this.contentAddressed = enabled;
      return this;
    }

    /**
     * How many files each manager transfers at once; by default one per processor, at least 2 and
     * at most 8 (see {@link StorageManager.Builder#parallelism}).
     *
     * @param threads the number of files each manager stores at once, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code threads} is less than 1
     */
    public Builder parallelism(int threads) {
      managers.parallelism(threads);
      return this;
    }

    /**
     * Makes the scratch directory and the managers.
     *
     * @return a new context, owned by the caller, who closes it
     * @throws ExternalResourceException if the scratch directory cannot be made
     */
    public UnitContext build() {
      return new UnitContext(this);
    }

    private ContentAddressedStore sharedCas() {
      if (sharedCas == null) {
        sharedCas = ContentAddressedStore.builder(shared).lookupParallelism(1).build();
      }
      return sharedCas;
    }

    private ContentAddressedStore permanentCas() {
      if (permanent == shared) {
        return sharedCas();
      }
      if (permanentCas == null) {
        permanentCas = ContentAddressedStore.builder(permanent).lookupParallelism(1).build();
      }
      return permanentCas;
    }
  }
}
