package io.dranode.agent.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.testing.Stores;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The store's rules, after upstream's TestAddSameName, TestDelete and the "replace" case. */
class PluginStoreTest {

  private static final Instant NOW = Instant.parse("2026-11-27T10:15:30Z");
  private static final String DRIVER_A = "a.example.com";
  private static final String DRIVER_B = "b.example.com";
  private static final String OLD = "/var/lib/kubelet/plugins/a/old.sock";
  private static final String NEW = "/var/lib/kubelet/plugins/a/new.sock";
  private static final Path OLD_REG = Path.of("/var/lib/kubelet/plugins_registry/a-old.sock");
  private static final Path NEW_REG = Path.of("/var/lib/kubelet/plugins_registry/a-new.sock");

  record StateChange(String driver, DriverState state) {}

  private final List<AgentEvent> events = new CopyOnWriteArrayList<>();
  private final List<StateChange> states = new CopyOnWriteArrayList<>();
  private PluginStore store;

  @BeforeEach
  void setUp() {
    EventBus bus = new EventBus();
    bus.subscribe(events::add);
    DriverStateListener listener =
        (driver, state, reason) -> states.add(new StateChange(driver, state));
    store = new PluginStore(bus, Clock.fixed(NOW, ZoneOffset.UTC), List.of(listener));
  }

  private PluginInstance register(String driver, String endpoint, Path registrationSocket) {
    PluginStore.Outcome outcome =
        store.register(driver, endpoint, registrationSocket, "v1.DRAPlugin", null);
    assertThat(outcome).isInstanceOf(PluginStore.Outcome.Registered.class);
    return ((PluginStore.Outcome.Registered) outcome).instance();
  }

  private String active(String driver) {
    return Stores.activeEndpoint(store, driver);
  }

  @Test
  void recordsANewInstanceAsConnectingWithTheClocksTime() {
    PluginInstance instance = register(DRIVER_A, OLD, OLD_REG);

    assertThat(instance)
        .isEqualTo(
            new PluginInstance(
                DRIVER_A, OLD, OLD_REG, "v1.DRAPlugin", null, NOW, ConnectionState.CONNECTING));
    assertThat(store.driver(DRIVER_A))
        .contains(new DriverView(DRIVER_A, false, OLD, List.of(instance)));
    assertThat(store.liveDrivers()).containsExactly(DRIVER_A);
  }

  @Test
  void theSameEndpointTwiceForADriverIsRefused() {
    register(DRIVER_A, OLD, OLD_REG);

    PluginStore.Outcome second = store.register(DRIVER_A, OLD, NEW_REG, "v1.DRAPlugin", null);

    assertThat(second).isInstanceOf(PluginStore.Outcome.Refused.class);
    assertThat(((PluginStore.Outcome.Refused) second).reason())
        .contains("already registered")
        .contains(OLD)
        .contains(DRIVER_A);
    assertThat(store.driver(DRIVER_A).orElseThrow().instances())
        .extracting(PluginInstance::registrationSocket)
        .containsExactly(OLD_REG);
  }

  @Test
  void theSameEndpointForAnotherDriverIsNotAHijack() {
    register(DRIVER_A, OLD, OLD_REG);

    register(DRIVER_B, OLD, NEW_REG);

    assertThat(store.drivers()).extracting(DriverView::driver).containsExactly(DRIVER_A, DRIVER_B);
  }

  @Test
  void theNewestInstanceIsActiveWhenNoneIsConnected() {
    register(DRIVER_A, OLD, OLD_REG);
    register(DRIVER_A, NEW, NEW_REG);

    assertThat(active(DRIVER_A)).isEqualTo(NEW);

    store.deregister(DRIVER_A, OLD, "test");

    assertThat(active(DRIVER_A)).isEqualTo(NEW);
    store.deregister(DRIVER_A, NEW, "test");
    assertThat(store.driver(DRIVER_A)).isEmpty();
  }

  @Test
  void theNewestConnectedInstanceWinsOverANewerUnconnectedOne() {
    register(DRIVER_A, OLD, OLD_REG);
    register(DRIVER_A, NEW, NEW_REG);

    store.setConnection(DRIVER_A, OLD, ConnectionState.CONNECTED);

    assertThat(active(DRIVER_A)).isEqualTo(OLD);
    DriverView view = store.driver(DRIVER_A).orElseThrow();
    assertThat(view.usable()).isTrue();
    assertThat(view.activeEndpoint()).isEqualTo(OLD);

    store.setConnection(DRIVER_A, NEW, ConnectionState.CONNECTED);

    assertThat(active(DRIVER_A)).isEqualTo(NEW);

    store.setConnection(DRIVER_A, NEW, ConnectionState.DISCONNECTED);

    assertThat(active(DRIVER_A)).isEqualTo(OLD);
  }

  @Test
  void deregisteringTwiceIsHarmless() {
    PluginInstance instance = register(DRIVER_A, OLD, OLD_REG);

    assertThat(store.deregister(DRIVER_A, OLD, "socket removed")).contains(instance);
    int eventsAfterFirst = events.size();
    int statesAfterFirst = states.size();

    assertThat(store.deregister(DRIVER_A, OLD, "socket removed")).isEmpty();
    assertThat(store.deregister("unknown.example.com", OLD, "never registered")).isEmpty();

    assertThat(events).hasSize(eventsAfterFirst);
    assertThat(states).hasSize(statesAfterFirst);
    assertThat(store.drivers()).isEmpty();
    assertThat(store.liveDrivers()).isEmpty();
  }

  @Test
  void eventsArePublishedInOrder() {
    register(DRIVER_A, OLD, OLD_REG);
    store.setConnection(DRIVER_A, OLD, ConnectionState.CONNECTED);
    store.setConnection(DRIVER_A, OLD, ConnectionState.CONNECTED);
    store.setConnection(DRIVER_A, OLD, ConnectionState.DISCONNECTED);
    store.deregister(DRIVER_A, OLD, "registration socket removed");

    assertThat(events)
        .extracting(AgentEvent::type, AgentEvent::driver, AgentEvent::endpoint, AgentEvent::time)
        .containsExactly(
            tuple(AgentEvent.Type.REGISTERED, DRIVER_A, OLD, NOW),
            tuple(AgentEvent.Type.CONNECTED, DRIVER_A, OLD, NOW),
            tuple(AgentEvent.Type.DISCONNECTED, DRIVER_A, OLD, NOW),
            tuple(AgentEvent.Type.DEREGISTERED, DRIVER_A, OLD, NOW));
    assertThat(events.get(3).detail()).isEqualTo("registration socket removed");
  }

  @Test
  void aConnectionChangeOfAnUnknownInstanceChangesNothing() {
    register(DRIVER_A, OLD, OLD_REG);
    events.clear();
    states.clear();

    assertThat(store.setConnection(DRIVER_A, NEW, ConnectionState.CONNECTED)).isFalse();
    assertThat(store.setConnection(DRIVER_B, OLD, ConnectionState.CONNECTED)).isFalse();

    assertThat(events).isEmpty();
    assertThat(states).isEmpty();
    assertThat(Stores.usable(store, DRIVER_A)).isFalse();
  }

  @Test
  void driverStateListenerSeesOnlyRealTransitions() {
    register(DRIVER_A, OLD, OLD_REG);
    store.setConnection(DRIVER_A, OLD, ConnectionState.CONNECTED);
    store.setConnection(DRIVER_A, OLD, ConnectionState.CONNECTED);
    // A second instance arriving while the driver is usable changes nothing for the cleanup.
    register(DRIVER_A, NEW, NEW_REG);
    store.setConnection(DRIVER_A, NEW, ConnectionState.DISCONNECTED);
    store.setConnection(DRIVER_A, OLD, ConnectionState.DISCONNECTED);
    store.setConnection(DRIVER_A, OLD, ConnectionState.DISCONNECTED);
    store.deregister(DRIVER_A, NEW, "gone");
    store.deregister(DRIVER_A, OLD, "gone");

    assertThat(states)
        .containsExactly(
            new StateChange(DRIVER_A, DriverState.CONNECTING),
            new StateChange(DRIVER_A, DriverState.USABLE),
            new StateChange(DRIVER_A, DriverState.UNUSABLE));
  }

  @Test
  void usableFollowsTheConnectionState() {
    register(DRIVER_A, OLD, OLD_REG);
    assertThat(Stores.usable(store, DRIVER_A)).isFalse();
    assertThat(store.liveDrivers()).containsExactly(DRIVER_A);

    store.setConnection(DRIVER_A, OLD, ConnectionState.CONNECTED);
    assertThat(Stores.usable(store, DRIVER_A)).isTrue();

    store.setConnection(DRIVER_A, OLD, ConnectionState.DISCONNECTED);
    assertThat(Stores.usable(store, DRIVER_A)).isFalse();
    assertThat(store.liveDrivers()).isEmpty();
  }

  @Test
  void replaceAddsASecondInstanceOfTheSameDriverAtAnotherEndpoint() {
    register(DRIVER_A, OLD, OLD_REG);
    store.setConnection(DRIVER_A, OLD, ConnectionState.CONNECTED);

    PluginInstance replacement =
        ((PluginStore.Outcome.Registered)
                store.register(DRIVER_A, NEW, NEW_REG, "v1beta1.DRAPlugin", "v1.DRAResourceHealth"))
            .instance();

    assertThat(replacement.service()).isEqualTo("v1beta1.DRAPlugin");
    assertThat(replacement.healthService()).isEqualTo("v1.DRAResourceHealth");
    DriverView view = store.driver(DRIVER_A).orElseThrow();
    assertThat(view.instances()).extracting(PluginInstance::endpoint).containsExactly(OLD, NEW);
    // Until the replacement connects, the connected old instance stays in use.
    assertThat(view.activeEndpoint()).isEqualTo(OLD);

    store.setConnection(DRIVER_A, NEW, ConnectionState.CONNECTED);
    store.deregister(DRIVER_A, OLD, "rolled over");

    assertThat(active(DRIVER_A)).isEqualTo(NEW);
    assertThat(Stores.usable(store, DRIVER_A)).isTrue();
    assertThat(states).extracting(StateChange::state).doesNotContain(DriverState.UNUSABLE);
  }

  @Test
  void aRegistrationClearsWhatWasRecordedAboutItsSocket() {
    store.reject(new Rejection(OLD_REG, null, "UNAVAILABLE: connection refused", 5, NOW, true));
    store.ignore(new IgnoredSocket(NEW_REG, "CSIPlugin", "csi.example.com"));
    assertThat(store.rejections()).hasSize(1);
    assertThat(store.ignoredSockets()).hasSize(1);
    assertThat(events)
        .extracting(AgentEvent::type, AgentEvent::driver, AgentEvent::endpoint)
        .containsExactly(tuple(AgentEvent.Type.REJECTED, "a-old.sock", OLD_REG.toString()));

    register(DRIVER_A, OLD, OLD_REG);
    assertThat(store.rejections()).isEmpty();
    assertThat(store.ignoredSockets()).hasSize(1);

    store.forgetSocket(NEW_REG);
    assertThat(store.ignoredSockets()).isEmpty();
  }
}
