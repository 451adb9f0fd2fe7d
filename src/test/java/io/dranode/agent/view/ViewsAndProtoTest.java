package io.dranode.agent.view;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import io.dranode.agent.api.v1.DeviceHealthEntry;
import io.dranode.agent.api.v1.Driver;
import io.dranode.agent.api.v1.DriverSlices;
import io.dranode.agent.api.v1.IgnoredSocket;
import io.dranode.agent.api.v1.Instance;
import io.dranode.agent.api.v1.ListCleanupsResponse;
import io.dranode.agent.api.v1.ListDeviceHealthResponse;
import io.dranode.agent.api.v1.ListPluginsResponse;
import io.dranode.agent.api.v1.ListResourceSlicesResponse;
import io.dranode.agent.api.v1.PendingWipe;
import io.dranode.agent.api.v1.PluginEvent;
import io.dranode.agent.api.v1.RejectedSocket;
import io.dranode.agent.api.v1.Slice;
import io.dranode.agent.api.v1.WipeRecord;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * REST and gRPC show one model: every record of {@link Views} has exactly the fields of its proto
 * message (a record component {@code fooBar} is the field {@code foo_bar}), so neither API can gain
 * or lose something the other lacks.
 */
class ViewsAndProtoTest {

  static Stream<Arguments> pairs() {
    return Stream.of(
        Arguments.of(Views.Plugins.class, ListPluginsResponse.getDescriptor()),
        Arguments.of(Views.Driver.class, Driver.getDescriptor()),
        Arguments.of(Views.Instance.class, Instance.getDescriptor()),
        Arguments.of(Views.PendingWipe.class, PendingWipe.getDescriptor()),
        Arguments.of(Views.RejectedSocket.class, RejectedSocket.getDescriptor()),
        Arguments.of(Views.IgnoredSocket.class, IgnoredSocket.getDescriptor()),
        Arguments.of(Views.Cleanups.class, ListCleanupsResponse.getDescriptor()),
        Arguments.of(Views.Recent.class, WipeRecord.getDescriptor()),
        Arguments.of(Views.Slices.class, ListResourceSlicesResponse.getDescriptor()),
        Arguments.of(Views.DriverSlices.class, DriverSlices.getDescriptor()),
        Arguments.of(Views.Slice.class, Slice.getDescriptor()),
        Arguments.of(Views.Devices.class, ListDeviceHealthResponse.getDescriptor()),
        Arguments.of(Views.Device.class, DeviceHealthEntry.getDescriptor()),
        Arguments.of(Views.Event.class, PluginEvent.getDescriptor()),
        Arguments.of(
            io.dranode.agent.condition.Condition.class,
            io.dranode.agent.api.v1.Condition.getDescriptor()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pairs")
  void theRecordAndTheMessageHaveTheSameFields(Class<? extends Record> view, Descriptor message) {
    List<String> components =
        Arrays.stream(view.getRecordComponents()).map(RecordComponent::getName).sorted().toList();
    List<String> fields =
        message.getFields().stream().map(FieldDescriptor::getJsonName).sorted().toList();

    assertThat(fields).as("fields of %s", message.getFullName()).isEqualTo(components);
  }

  /** Every record of the model is paired above: a new one cannot slip past this test. */
  @org.junit.jupiter.api.Test
  void everyRecordOfTheModelIsPaired() {
    List<Object> paired = pairs().map(a -> a.get()[0]).toList();

    assertThat(Views.class.getDeclaredClasses())
        .filteredOn(Class::isRecord)
        .allMatch(paired::contains, "paired with a message");
  }
}
