package io.snapshotagent.hypervisor;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code <mirror>} as libvirt 9 writes it into the live XML during a block copy. */
class DomainXmlMirrorTest {

    private static String domain(String mirror) {
        return """
                <domain type='qemu' id='3'>
                  <name>liveit</name>
                  <devices>
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='qcow2' cache='none'/>
                      <source file='/state/instances/u/disk' index='1'/>
                      <backingStore type='file' index='2'><format type='raw'/><source file='/state/instances/_base/b'/></backingStore>
                """ + mirror + """
                      <target dev='vda' bus='virtio'/>
                      <alias name='virtio-disk0'/>
                    </disk>
                    <disk type='file' device='cdrom'>
                      <source file='/state/config.iso'/>
                      <target dev='hdc' bus='ide'/>
                    </disk>
                  </devices>
                </domain>
                """;
    }

    @Test
    void aCopyUnderWay() throws HypervisorException {
        String xml = domain("""
                      <mirror type='file' file='/state/snapshots/snapshot-1/o.delta' format='qcow2' job='copy'>
                        <format type='qcow2'/>
                        <source file='/state/snapshots/snapshot-1/o.delta' index='3'/>
                      </mirror>
                """);
        assertEquals(List.of(new DomainXml.Mirror("vda", Optional.of("/state/snapshots/snapshot-1/o.delta"), Optional.of("copy"),
                false)), DomainXml.mirrors(xml));
    }

    @Test
    void aCopyInSync() throws HypervisorException {
        String xml = domain("""
                      <mirror type='file' job='copy' ready='yes'>
                        <format type='qcow2'/>
                        <source file='/state/snapshots/snapshot-1/o.delta' index='3'/>
                      </mirror>
                """);
        DomainXml.Mirror m = DomainXml.mirror(xml, "vda").orElseThrow();
        assertEquals(Optional.of("/state/snapshots/snapshot-1/o.delta"), m.file(), "from <source> when there is no file attribute");
        assertEquals(true, m.ready());
        assertEquals(Optional.empty(), DomainXml.mirror(xml, "vdb"));
    }

    @Test
    void aMirrorBeingAbortedIsNotReady() throws HypervisorException {
        String xml = domain("<mirror type='file' file='/x.delta' job='copy' ready='abort'/>");
        assertEquals(false, DomainXml.mirror(xml, "vda").orElseThrow().ready());
    }

    @Test
    void noJobNoMirror() throws HypervisorException {
        assertEquals(List.of(), DomainXml.mirrors(domain("")));
    }
}
