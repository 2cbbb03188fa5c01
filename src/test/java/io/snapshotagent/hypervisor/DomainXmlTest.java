package io.snapshotagent.hypervisor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DomainXmlTest {

    private static final DomainXml.DiskProbe NO_PLOOP = path -> false;

    private static String domain(String devices) {
        return """
                <domain type='qemu' id='7'>
                  <name>instance-0000002a</name>
                  <uuid>3f0e8a4e-7a53-4f4e-9a2b-1d2c3b4a5f60</uuid>
                  <metadata>
                    <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
                      <nova:name>vm1</nova:name>
                      <nova:root type="image" uuid="155d900f-4e14-4e4c-a73d-069cbf4541e6"/>
                    </nova:instance>
                  </metadata>
                  <memory unit='KiB'>32768</memory>
                  <devices>
                    <emulator>/usr/bin/qemu-system-x86_64</emulator>
                """ + devices + """
                    <serial type='file'><source path='/var/lib/nova/instances/x/console.log'/></serial>
                  </devices>
                </domain>
                """;
    }

    private static GuestDisk root(String devices) throws HypervisorException {
        return DomainXml.rootDisk(domain(devices), NO_PLOOP);
    }

    private static HypervisorException unsupported(String xml) {
        HypervisorException e = assertThrows(HypervisorException.class, () -> DomainXml.rootDisk(xml, NO_PLOOP));
        assertEquals(HypervisorException.UNSUPPORTED_DISK, e.code());
        return e;
    }

    @Test
    void rbdNetworkDiskAsLibvirtReportsIt() throws HypervisorException {
        // as `virsh dumpxml` printed it for a guest of the local stack
        GuestDisk disk = root("""
                    <disk type='network' device='disk'>
                      <driver name='qemu' type='raw' cache='none' discard='unmap'/>
                      <auth username='nova'>
                        <secret type='ceph' uuid='32379651-72e7-404d-b40c-a9cfaaf8f360'/>
                      </auth>
                      <source protocol='rbd' name='vms/43730d97-f112-4225-a5fe-11d8d0335bf9_disk' index='1'>
                        <host name='127.0.0.1' port='6789'/>
                      </source>
                      <target dev='vda' bus='virtio'/>
                      <alias name='virtio-disk0'/>
                    </disk>
                """);
        assertEquals(DiskBackend.RBD, disk.backend());
        assertEquals("rbd:vms/43730d97-f112-4225-a5fe-11d8d0335bf9_disk", disk.path());
        assertEquals("raw", disk.format());
        assertEquals("vda", disk.targetDev());
        GuestDisk.RbdImageName rbd = disk.rbd().orElseThrow();
        assertEquals("vms", rbd.pool());
        assertEquals("43730d97-f112-4225-a5fe-11d8d0335bf9_disk", rbd.image());
        assertEquals(Optional.of("nova"), rbd.authUser());
        assertEquals("vms/43730d97-f112-4225-a5fe-11d8d0335bf9_disk", rbd.name());
    }

    @Test
    void rbdWithoutAuthOrDriverTypeIsRaw() throws HypervisorException {
        GuestDisk disk = root("""
                    <disk type='network'>
                      <source protocol='rbd' name='vms/abc_disk'/>
                      <target dev='sda' bus='scsi'/>
                    </disk>
                """);
        assertEquals(DiskBackend.RBD, disk.backend());
        assertEquals("raw", disk.format());
        assertEquals(Optional.empty(), disk.rbd().orElseThrow().authUser());
    }

    @Test
    void qcow2FileDisk() throws HypervisorException {
        GuestDisk disk = root("""
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='qcow2' cache='none'/>
                      <source file='/var/lib/nova/instances/3f0e8a4e/disk'/>
                      <backingStore type='file'><format type='raw'/><source file='/var/lib/nova/instances/_base/155d'/></backingStore>
                      <target dev='vda' bus='virtio'/>
                    </disk>
                """);
        assertEquals(DiskBackend.QCOW2, disk.backend());
        assertEquals("/var/lib/nova/instances/3f0e8a4e/disk", disk.path());
        assertEquals("qcow2", disk.format());
        assertEquals(Optional.empty(), disk.rbd());
    }

    @Test
    void rawFileDiskIsFlat() throws HypervisorException {
        GuestDisk disk = root("""
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='raw' cache='none'/>
                      <source file='/var/lib/nova/instances/3f0e8a4e/disk'/>
                      <target dev='vda' bus='virtio'/>
                    </disk>
                """);
        assertEquals(DiskBackend.FLAT, disk.backend());
        assertEquals("flat", disk.backend().imagesType());
        assertEquals("raw", disk.format());
    }

    @Test
    void xenAioFormatIsRaw() throws HypervisorException {
        GuestDisk disk = root("""
                    <disk type='file' device='disk'>
                      <driver name='tap' type='aio'/>
                      <source file='/var/lib/nova/instances/x/disk'/>
                      <target dev='xvda'/>
                    </disk>
                """);
        assertEquals(DiskBackend.FLAT, disk.backend());
        assertEquals("raw", disk.format());
    }

    @Test
    void blockDeviceIsLvm() throws HypervisorException {
        GuestDisk disk = root("""
                    <disk type='block' device='disk'>
                      <driver name='qemu' type='raw' cache='none' io='native'/>
                      <source dev='/dev/nova-vg/3f0e8a4e_disk'/>
                      <target dev='vda' bus='virtio'/>
                    </disk>
                """);
        assertEquals(DiskBackend.LVM, disk.backend());
        assertEquals("/dev/nova-vg/3f0e8a4e_disk", disk.path());
        assertEquals("raw", disk.format());
    }

    @Test
    void aFileUnderDevIsLvmAsNovaSeesIt() throws HypervisorException {
        GuestDisk disk = root("""
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='raw'/>
                      <source file='/dev/loop3'/>
                      <target dev='vda'/>
                    </disk>
                """);
        assertEquals(DiskBackend.LVM, disk.backend());
    }

    @Test
    void directoryWithDiskDescriptorIsPloop(@TempDir Path instances) throws IOException, HypervisorException {
        Path ploop = Files.createDirectory(instances.resolve("disk"));
        Files.writeString(ploop.resolve("DiskDescriptor.xml"), "<Parallels_disk_image/>");
        String xml = domain("""
                    <disk type='file' device='disk'>
                      <driver type='ploop' cache='writeback'/>
                      <source file='%s'/>
                      <target dev='sda' bus='scsi'/>
                    </disk>
                """.formatted(ploop));
        GuestDisk disk = DomainXml.rootDisk(xml, DomainXml.DiskProbe.FILE_SYSTEM);
        assertEquals(DiskBackend.PLOOP, disk.backend());
        assertEquals(ploop.toString(), disk.path());
        assertEquals("ploop", disk.format());
    }

    @Test
    void aPloopFormatWithoutItsDirectoryIsNotGuessed(@TempDir Path instances) {
        String xml = domain("""
                    <disk type='file' device='disk'>
                      <driver type='ploop'/>
                      <source file='%s'/>
                      <target dev='sda'/>
                    </disk>
                """.formatted(instances.resolve("missing")));
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> DomainXml.rootDisk(xml, DomainXml.DiskProbe.FILE_SYSTEM));
        assertTrue(e.getMessage().contains("'ploop'"), e.getMessage());
    }

    @Test
    void aCdromListedFirstIsSkipped() throws HypervisorException {
        GuestDisk disk = root("""
                    <disk type='file' device='cdrom'>
                      <driver name='qemu' type='raw'/>
                      <source file='/var/lib/nova/instances/x/disk.config'/>
                      <target dev='hda' bus='ide'/>
                      <readonly/>
                    </disk>
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='qcow2'/>
                      <source file='/var/lib/nova/instances/x/disk'/>
                      <target dev='vda' bus='virtio'/>
                    </disk>
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='raw'/>
                      <source file='/var/lib/nova/instances/x/disk.eph0'/>
                      <target dev='vdb' bus='virtio'/>
                    </disk>
                """);
        assertEquals("vda", disk.targetDev());
        assertEquals(DiskBackend.QCOW2, disk.backend());
    }

    @Test
    void deviceDefaultsToDisk() throws HypervisorException {
        GuestDisk disk = root("""
                    <disk type='file'>
                      <driver name='qemu' type='qcow2'/>
                      <source file='/i/disk'/>
                      <target dev='vda'/>
                    </disk>
                """);
        assertEquals(DiskBackend.QCOW2, disk.backend());
    }

    @Test
    void namespacedElementsInMetadataAreNotDisks() throws HypervisorException {
        String xml = """
                <domain type='kvm'>
                  <metadata>
                    <other:devices xmlns:other="urn:example">
                      <other:disk type='file' device='disk'><other:source file='/wrong'/></other:disk>
                    </other:devices>
                  </metadata>
                  <devices>
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='raw'/>
                      <source file='/right/disk'/>
                      <target dev='vda'/>
                    </disk>
                  </devices>
                </domain>
                """;
        assertEquals("/right/disk", DomainXml.rootDisk(xml, NO_PLOOP).path());
    }

    @Test
    void noDiskAtAll() {
        HypervisorException e = unsupported(domain("""
                    <disk type='file' device='cdrom'><target dev='hda'/></disk>
                """));
        assertTrue(e.getMessage().contains("no <disk device='disk'>"), e.getMessage());
    }

    @Test
    void noDevices() {
        unsupported("<domain type='qemu'><name>x</name></domain>");
    }

    @Test
    void notADomain() {
        HypervisorException e = unsupported("<network><name>default</name></network>");
        assertTrue(e.getMessage().contains("<network>"), e.getMessage());
    }

    @Test
    void otherNetworkProtocolsAreRefused() {
        HypervisorException e = unsupported(domain("""
                    <disk type='network' device='disk'>
                      <driver name='qemu' type='raw'/>
                      <source protocol='nbd' name='export'><host name='10.0.0.1' port='10809'/></source>
                      <target dev='vda'/>
                    </disk>
                """));
        assertTrue(e.getMessage().contains("'nbd'"), e.getMessage());
    }

    @Test
    void rbdNameWithoutPoolIsRefused() {
        HypervisorException e = unsupported(domain("""
                    <disk type='network' device='disk'>
                      <source protocol='rbd' name='justanimage'/>
                      <target dev='vda'/>
                    </disk>
                """));
        assertTrue(e.getMessage().contains("not pool/image"), e.getMessage());
    }

    @Test
    void storagePoolVolumesAreRefused() {
        HypervisorException e = unsupported(domain("""
                    <disk type='volume' device='disk'>
                      <driver name='qemu' type='raw'/>
                      <source pool='default' volume='vol1'/>
                      <target dev='vda'/>
                    </disk>
                """));
        assertTrue(e.getMessage().contains("'volume'"), e.getMessage());
    }

    @Test
    void aFileWithoutFormatIsRefused() {
        HypervisorException e = unsupported(domain("""
                    <disk type='file' device='disk'>
                      <source file='/i/disk'/>
                      <target dev='vda'/>
                    </disk>
                """));
        assertTrue(e.getMessage().contains("no <driver type>"), e.getMessage());
    }

    @Test
    void otherFileFormatsAreRefused() {
        HypervisorException e = unsupported(domain("""
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='vmdk'/>
                      <source file='/i/disk.vmdk'/>
                      <target dev='vda'/>
                    </disk>
                """));
        assertTrue(e.getMessage().contains("'vmdk'"), e.getMessage());
    }

    @Test
    void aDiskWithoutSourceIsRefused() {
        HypervisorException e = unsupported(domain("""
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='raw'/>
                      <target dev='vda'/>
                    </disk>
                """));
        assertTrue(e.getMessage().contains("no source file"), e.getMessage());
    }

    @Test
    void relativeSourcePathsAreRefused() {
        HypervisorException e = unsupported(domain("""
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='raw'/>
                      <source file='-o evil'/>
                      <target dev='vda'/>
                    </disk>
                """));
        assertTrue(e.getMessage().contains("relative"), e.getMessage());
    }

    @Test
    void aDiskWithoutTargetIsRefused() {
        unsupported(domain("""
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='raw'/>
                      <source file='/i/disk'/>
                    </disk>
                """));
    }

    @Test
    void externalEntitiesAreNeverResolved(@TempDir Path dir) throws IOException {
        Path secret = Files.writeString(dir.resolve("secret"), "/leaked/path");
        String xml = """
                <?xml version="1.0"?>
                <!DOCTYPE domain [<!ENTITY leak SYSTEM "%s">]>
                <domain type='qemu'><devices>
                  <disk type='file' device='disk'><driver type='raw'/><source file='&leak;'/><target dev='vda'/></disk>
                </devices></domain>
                """.formatted(secret.toUri());
        HypervisorException e = unsupported(xml);
        assertFalse(e.getMessage().contains("/leaked/path"), e.getMessage());
        assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
    }

    @Test
    void entityExpansionIsRefused() {
        String xml = """
                <?xml version="1.0"?>
                <!DOCTYPE domain [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
                <domain><devices><disk><source file='/&b;'/></disk></devices></domain>
                """;
        unsupported(xml);
    }

    @Test
    void malformedXmlIsAClearError() {
        HypervisorException e = unsupported("<domain><devices><disk type='file'>");
        assertTrue(e.getMessage().startsWith("the domain XML cannot be read"), e.getMessage());
    }
}
