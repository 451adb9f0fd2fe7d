package io.dranode.agent.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.request;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import io.dranode.agent.cleanup.PendingWipe;
import io.dranode.agent.cleanup.WipeCause;
import io.dranode.agent.cleanup.WipeRecord;
import io.dranode.agent.devicehealth.DeviceHealthEntry;
import io.dranode.agent.devicehealth.Health;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.plugin.ConnectionState;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MvcResult;

/**
 * The documented JSON of every REST endpoint, read from a known state: the field names the README
 * shows and the values put into the store, the cleanup, the informer and the health monitor.
 */
class InspectionEndpointsTest extends ApiSliceTestSupport {

  private static final String GPU = "gpu.example.com";
  private static final String NIC = "nic.example.com";
  private static final String GPU_DRA = "/var/lib/kubelet/plugins/gpu.example.com/dra.sock";
  private static final Path GPU_REG = Path.of("/var/lib/kubelet/plugins_registry/gpu-reg.sock");
  private static final Instant DUE = NOW.plus(Duration.ofSeconds(30));

  /** gpu.example.com registered and connected, with 3 healthy devices and one that is not. */
  private void gpuUsableWithDevices() {
    store.register(GPU, GPU_DRA, GPU_REG, "v1.DRAPlugin", "v1.DRAResourceHealth");
    store.setConnection(GPU, GPU_DRA, ConnectionState.CONNECTED);
    Map<Health, Integer> counts = new EnumMap<>(Health.class);
    counts.put(Health.HEALTHY, 3);
    counts.put(Health.UNHEALTHY, 1);
    counts.put(Health.UNKNOWN, 0);
    when(monitor.summary(GPU)).thenReturn(counts);
  }

  @Test
  void oneDriverWithItsInstancePendingWipeAndDeviceHealthCounts() throws Exception {
    gpuUsableWithDevices();
    when(wipes.pendingFor(GPU))
        .thenReturn(
            Optional.of(
                new PendingWipe(GPU, WipeCause.DRIVER_UNUSABLE, DUE, "instance gone", 0, null)));

    mvc.perform(get("/api/v1/plugins/{driver}", GPU))
        .andExpect(status().isOk())
        .andExpect(content().contentType(MediaType.APPLICATION_JSON))
        .andExpect(jsonPath("$.driver").value(GPU))
        .andExpect(jsonPath("$.usable").value(true))
        .andExpect(jsonPath("$.activeEndpoint").value(GPU_DRA))
        .andExpect(jsonPath("$.instances", hasSize(1)))
        .andExpect(jsonPath("$.instances[0].endpoint").value(GPU_DRA))
        .andExpect(jsonPath("$.instances[0].registrationSocket").value(GPU_REG.toString()))
        .andExpect(jsonPath("$.instances[0].service").value("v1.DRAPlugin"))
        .andExpect(jsonPath("$.instances[0].healthService").value("v1.DRAResourceHealth"))
        .andExpect(jsonPath("$.instances[0].connected").value(true))
        .andExpect(jsonPath("$.instances[0].connection").value("CONNECTED"))
        .andExpect(jsonPath("$.instances[0].registeredAt").value(NOW.toString()))
        .andExpect(jsonPath("$.pendingWipe.dueAt").value(DUE.toString()))
        .andExpect(jsonPath("$.pendingWipe.reason").value("instance gone"))
        .andExpect(jsonPath("$.pendingWipe.quarantined").value(false))
        .andExpect(jsonPath("$.pendingWipe.taintRules", hasSize(0)))
        .andExpect(jsonPath("$.deviceHealth.HEALTHY").value(3))
        .andExpect(jsonPath("$.deviceHealth.UNHEALTHY").value(1))
        .andExpect(jsonPath("$.deviceHealth.UNKNOWN").value(0));
  }

  @Test
  void aQuarantinedPendingWipeNamesItsTaintRules() throws Exception {
    gpuUsableWithDevices();
    PendingWipe wipe =
        new PendingWipe(GPU, WipeCause.DRIVER_UNUSABLE, DUE, "instance gone", 0, null);
    when(wipes.pendingFor(GPU)).thenReturn(Optional.of(wipe));
    when(wipes.pending()).thenReturn(List.of(wipe));
    when(quarantines.rules(GPU)).thenReturn(List.of("worker-gpu.example.com-worker-0123456789"));

    mvc.perform(get("/api/v1/plugins/{driver}", GPU))
        .andExpect(status().isOk())
        .andExpect(jsonPath("$.pendingWipe.quarantined").value(true))
        .andExpect(
            jsonPath("$.pendingWipe.taintRules[0]")
                .value("worker-gpu.example.com-worker-0123456789"));
    mvc.perform(get("/api/v1/cleanups"))
        .andExpect(status().isOk())
        .andExpect(jsonPath("$.pending[0].quarantined").value(true))
        .andExpect(jsonPath("$.pending[0].taintRules", hasSize(1)));
  }

  @Test
  void theListCarriesPendingWipeAndDeviceHealthPerDriver() throws Exception {
    gpuUsableWithDevices();

    mvc.perform(get("/api/v1/plugins"))
        .andExpect(status().isOk())
        .andExpect(content().contentType(MediaType.APPLICATION_JSON))
        .andExpect(jsonPath("$.node").value("worker"))
        .andExpect(jsonPath("$.mode").value("registrar"))
        .andExpect(jsonPath("$.drivers", hasSize(1)))
        .andExpect(jsonPath("$.drivers[0].driver").value(GPU))
        // The key is there, with null, when no wipe is pending: clients need not guess.
        .andExpect(jsonPath("$.drivers[0].pendingWipe").value(nullValue()))
        .andExpect(jsonPath("$.drivers[0].deviceHealth.HEALTHY").value(3))
        .andExpect(jsonPath("$.drivers[0].deviceHealth.UNHEALTHY").value(1))
        .andExpect(jsonPath("$.rejected", hasSize(0)))
        .andExpect(jsonPath("$.ignored", hasSize(0)));
  }

  @Test
  void cleanupsShowPendingAndRecentWipes() throws Exception {
    Instant started = NOW.minus(Duration.ofMinutes(2));
    when(wipes.pending())
        .thenReturn(
            List.of(
                new PendingWipe(
                    NIC,
                    WipeCause.DRIVER_UNUSABLE,
                    DUE,
                    "registration socket removed",
                    2,
                    "API server: 503")));
    when(history.recent())
        .thenReturn(
            List.of(
                new WipeRecord(
                    GPU,
                    WipeCause.DRIVER_UNUSABLE,
                    started,
                    started.plusMillis(40),
                    1,
                    WipeRecord.Result.DELETED,
                    "deleted 1 ResourceSlice(s) after 1 attempt(s)"),
                new WipeRecord(
                    "tpu.example.com",
                    WipeCause.DRIVER_UNUSABLE,
                    started,
                    started,
                    0,
                    WipeRecord.Result.DRY_RUN,
                    "dry run: would have deleted 0 ResourceSlice(s) after 1 attempt(s)")));

    mvc.perform(get("/api/v1/cleanups"))
        .andExpect(status().isOk())
        .andExpect(content().contentType(MediaType.APPLICATION_JSON))
        .andExpect(jsonPath("$.pending", hasSize(1)))
        .andExpect(jsonPath("$.pending[0].driver").value(NIC))
        .andExpect(jsonPath("$.pending[0].dueAt").value(DUE.toString()))
        .andExpect(jsonPath("$.pending[0].reason").value("registration socket removed"))
        .andExpect(jsonPath("$.pending[0].attempts").value(2))
        .andExpect(jsonPath("$.pending[0].lastError").value("API server: 503"))
        .andExpect(jsonPath("$.recent", hasSize(2)))
        .andExpect(jsonPath("$.recent[0].driver").value(GPU))
        .andExpect(jsonPath("$.recent[0].startedAt").value(started.toString()))
        .andExpect(jsonPath("$.recent[0].finishedAt").value(started.plusMillis(40).toString()))
        .andExpect(jsonPath("$.recent[0].deleted").value(1))
        .andExpect(jsonPath("$.recent[0].result").value("deleted"))
        .andExpect(
            jsonPath("$.recent[0].detail").value("deleted 1 ResourceSlice(s) after 1 attempt(s)"))
        .andExpect(jsonPath("$.recent[1].result").value("dry-run"));
  }

  @Test
  void resourceSlicesByDriverSayWhetherAUsableDriverServesThem() throws Exception {
    gpuUsableWithDevices();
    Map<String, List<ResourceSlice>> byDriver = new LinkedHashMap<>();
    byDriver.put(GPU, List.of(slice("worker-gpu-1", GPU, "worker", 3L, 4)));
    byDriver.put(NIC, List.of(slice("worker-nic-1", NIC, "worker", 7L, 2)));
    when(inventory.byDriver()).thenReturn(byDriver);
    when(inventory.synced()).thenReturn(true);

    mvc.perform(get("/api/v1/resourceslices"))
        .andExpect(status().isOk())
        .andExpect(content().contentType(MediaType.APPLICATION_JSON))
        .andExpect(jsonPath("$.node").value("worker"))
        .andExpect(jsonPath("$.synced").value(true))
        .andExpect(jsonPath("$.drivers", hasSize(2)))
        .andExpect(jsonPath("$.drivers[0].driver").value(GPU))
        .andExpect(jsonPath("$.drivers[0].served").value(true))
        .andExpect(jsonPath("$.drivers[0].slices", hasSize(1)))
        .andExpect(jsonPath("$.drivers[0].slices[0].name").value("worker-gpu-1"))
        .andExpect(jsonPath("$.drivers[0].slices[0].pool").value("worker"))
        .andExpect(jsonPath("$.drivers[0].slices[0].generation").value(3))
        .andExpect(jsonPath("$.drivers[0].slices[0].deviceCount").value(4))
        // No usable driver serves the NIC's slice: a candidate for a wipe.
        .andExpect(jsonPath("$.drivers[1].driver").value(NIC))
        .andExpect(jsonPath("$.drivers[1].served").value(false))
        .andExpect(jsonPath("$.drivers[1].slices[0].generation").value(7))
        .andExpect(jsonPath("$.drivers[1].slices[0].deviceCount").value(2));
  }

  @Test
  void resourceSlicesBeforeTheInformerSynced() throws Exception {
    when(inventory.byDriver()).thenReturn(Map.of());
    when(inventory.synced()).thenReturn(false);

    mvc.perform(get("/api/v1/resourceslices"))
        .andExpect(status().isOk())
        .andExpect(jsonPath("$.node").value("worker"))
        .andExpect(jsonPath("$.synced").value(false))
        .andExpect(jsonPath("$.drivers", hasSize(0)));
  }

  @Test
  void deviceHealthPerDriverAndDevice() throws Exception {
    Instant checked = NOW.minusSeconds(5);
    when(monitor.devices())
        .thenReturn(
            List.of(
                new DeviceHealthEntry(GPU, "worker", "dev-0", Health.HEALTHY, checked, ""),
                new DeviceHealthEntry(
                    GPU, "worker", "dev-1", Health.UNHEALTHY, checked, "switched off by hand"),
                new DeviceHealthEntry(NIC, "worker", "dev-0", Health.UNKNOWN, null, "")));

    mvc.perform(get("/api/v1/devices/health"))
        .andExpect(status().isOk())
        .andExpect(content().contentType(MediaType.APPLICATION_JSON))
        .andExpect(jsonPath("$.devices", hasSize(3)))
        .andExpect(jsonPath("$.devices[0].driver").value(GPU))
        .andExpect(jsonPath("$.devices[0].pool").value("worker"))
        .andExpect(jsonPath("$.devices[0].device").value("dev-0"))
        .andExpect(jsonPath("$.devices[0].health").value("HEALTHY"))
        .andExpect(jsonPath("$.devices[0].lastUpdated").value(checked.toString()))
        .andExpect(jsonPath("$.devices[0].message").value(""))
        .andExpect(jsonPath("$.devices[1].health").value("UNHEALTHY"))
        .andExpect(jsonPath("$.devices[1].message").value("switched off by hand"))
        .andExpect(jsonPath("$.devices[2].driver").value(NIC))
        .andExpect(jsonPath("$.devices[2].health").value("UNKNOWN"))
        .andExpect(jsonPath("$.devices[2].lastUpdated").value(nullValue()));
  }

  @Test
  void eventsAreServerSentEventsWithTheTypeAsNameAndJsonData() throws Exception {
    MvcResult result =
        mvc.perform(get("/api/v1/events").accept(MediaType.TEXT_EVENT_STREAM))
            .andExpect(request().asyncStarted())
            .andReturn();

    events.publish(
        new AgentEvent(AgentEvent.Type.WIPE_CANCELLED, NOW, GPU, null, "driver usable again"));

    assertThat(result.getResponse().getContentType()).startsWith(MediaType.TEXT_EVENT_STREAM_VALUE);
    assertThat(result.getResponse().getContentAsString())
        .startsWith(":" + EventsController.OPENED + "\n")
        .contains(
            "event:wipe-cancelled\n"
                + "data:{\"type\":\"wipe-cancelled\",\"time\":\""
                + NOW
                + "\",\"driver\":\"gpu.example.com\",\"endpoint\":null,"
                + "\"detail\":\"driver usable again\"}\n\n");
  }

  private static ResourceSlice slice(
      String name, String driver, String pool, long generation, int devices) {
    List<Device> list =
        IntStream.range(0, devices)
            .mapToObj(i -> new DeviceBuilder().withName("dev-" + i).build())
            .toList();
    return new ResourceSliceBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withDriver(driver)
        .withNodeName("worker")
        .withNewPool()
        .withName(pool)
        .withGeneration(generation)
        .withResourceSliceCount(1L)
        .endPool()
        .withDevices(list)
        .endSpec()
        .build();
  }
}
