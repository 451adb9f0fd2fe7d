package io.dranode.agent.config;

/**
 * The start and stop order of the agent's lifecycle beans, in one place. Spring starts lower phases
 * first and stops higher phases first, so the list below, read down, is the start order, and read
 * up, the stop order. Beans without a phase of ours (the web and gRPC servers, the event streams)
 * stop before all of these.
 *
 * <ol>
 *   <li>{@link #CONNECTIONS}: channels to plugins' endpoints. Started first and stopped last,
 *       because device health streams run on them and registrations open them.
 *   <li>{@link #DEVICE_HEALTH}: the health streams, on those channels; stopped before the channels
 *       close, so no stream sees its channel vanish.
 *   <li>{@link #CERTIFICATES}: the re-reading of the TLS files ({@code kubernetes} mode); it
 *       depends on nothing of the agent's, and stops after the servers that use the certificate.
 *   <li>{@link #KUBERNETES}: the ResourceSlice informer and the Node check; the cleanup reads both.
 *   <li>{@link #REPORT}: what the agent derives from the store and tells (conditions, Events, its
 *       DRANode). Started before the registrations so that it sees the first ones, and stopped
 *       after everything that changes the store, so that it reports to the end; it writes nothing
 *       once stopped.
 *   <li>{@link #REGISTRATION}: the registration handler, before the watcher so that no socket the
 *       watcher reports is dropped, and stopped after it so that no socket arrives once its retries
 *       are cancelled.
 *   <li>{@link #WATCHER}: the registry watch, whose initial scan registers what is already there.
 *   <li>{@link #WIPES}: the pending wipes, stopped before the watcher, the registrations and the
 *       connections: their shutdown makes drivers look unusable, which must not schedule a wipe.
 *   <li>{@link #SWEEP}: the orphan sweep, last, after the registry scan and the informer.
 * </ol>
 */
public final class Phases {

  public static final int CONNECTIONS = 100;
  public static final int DEVICE_HEALTH = 120;
  public static final int CERTIFICATES = 130;
  public static final int KUBERNETES = 150;
  public static final int REPORT = 160;
  public static final int REGISTRATION = 180;
  public static final int WATCHER = 200;
  public static final int WIPES = 400;
  public static final int SWEEP = 500;

  private Phases() {}
}
