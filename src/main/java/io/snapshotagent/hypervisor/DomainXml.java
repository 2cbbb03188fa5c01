package io.snapshotagent.hypervisor;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the root disk out of a libvirt domain XML the way nova's {@code find_disk} and
 * {@code get_disk_type_from_path} do: the first {@code <disk device='disk'>}, its source path
 * (or {@code rbd:<name>} for an RBD network disk) and its driver format; {@code /dev/...} is lvm,
 * a directory holding {@code DiskDescriptor.xml} is ploop, other files go by format.
 *
 * <p>nova takes the first {@code <disk>} of any device type; this takes the first real disk, so a
 * CD-ROM listed first (a config drive on some hosts) is not mistaken for the root disk.
 */
final class DomainXml {

    /** Looks at the file system for what the XML cannot tell. */
    @FunctionalInterface
    interface DiskProbe {
        boolean isPloopDirectory(Path path);

        DiskProbe FILE_SYSTEM = path -> Files.isDirectory(path) && Files.isRegularFile(path.resolve("DiskDescriptor.xml"));
    }

    private DomainXml() {
    }

    static GuestDisk rootDisk(String xml, DiskProbe probe) throws HypervisorException {
        Element domain = parse(xml).getDocumentElement();
        if (!"domain".equals(domain.getLocalName())) {
            throw unsupported("the domain XML's root element is <" + domain.getLocalName() + ">, not <domain>");
        }
        Element devices = child(domain, "devices")
                .orElseThrow(() -> unsupported("the domain XML has no <devices>"));
        for (Element disk : children(devices, "disk")) {
            if ("disk".equals(attribute(disk, "device").orElse("disk"))) {
                return classify(disk, probe);
            }
        }
        throw unsupported("the domain has no <disk device='disk'>: nothing to snapshot");
    }

    /**
     * A running block copy as the live domain XML shows it: {@code <mirror>} under the disk.
     *
     * @param targetDev the disk, e.g. {@code vda}
     * @param file      where the copy writes ({@code <mirror file>} or its {@code <source file>})
     * @param job       libvirt's job name ({@code copy} for block copy and rebase-copy)
     * @param ready     {@code ready='yes'}: the copy is in sync and keeps mirroring new writes
     */
    record Mirror(String targetDev, Optional<String> file, Optional<String> job, boolean ready) {
    }

    /** Every disk's {@code <mirror>}, in the order of the disks. */
    static List<Mirror> mirrors(String xml) throws HypervisorException {
        Element domain = parse(xml).getDocumentElement();
        List<Mirror> found = new ArrayList<>();
        Optional<Element> devices = child(domain, "devices");
        if (devices.isEmpty()) {
            return found;
        }
        for (Element disk : children(devices.get(), "disk")) {
            Optional<Element> mirror = child(disk, "mirror");
            if (mirror.isEmpty()) {
                continue;
            }
            Optional<String> target = child(disk, "target").flatMap(t -> attribute(t, "dev"));
            if (target.isEmpty()) {
                continue;
            }
            Element m = mirror.get();
            Optional<String> file = attribute(m, "file")
                    .or(() -> child(m, "source").flatMap(src -> attribute(src, "file").or(() -> attribute(src, "dev"))));
            found.add(new Mirror(target.get(), file, attribute(m, "job"), "yes".equals(attribute(m, "ready").orElse(""))));
        }
        return found;
    }

    /** The mirror of one disk, if it has one. */
    static Optional<Mirror> mirror(String xml, String targetDev) throws HypervisorException {
        return mirrors(xml).stream().filter(m -> m.targetDev().equals(targetDev)).findFirst();
    }

    private static GuestDisk classify(Element disk, DiskProbe probe) throws HypervisorException {
        String type = attribute(disk, "type").orElse("file");
        Optional<Element> source = child(disk, "source");
        Optional<String> driverType = child(disk, "driver").flatMap(d -> attribute(d, "type"))
                // a legacy libvirt/Xen quirk nova also folds: everything else reports the on-disk format
                .map(t -> "aio".equals(t) ? "raw" : t);
        String target = child(disk, "target").flatMap(t -> attribute(t, "dev"))
                .orElseThrow(() -> unsupported("the root disk has no <target dev>"));

        if ("network".equals(type)) {
            String protocol = source.flatMap(s -> attribute(s, "protocol")).orElse("");
            if (!"rbd".equals(protocol)) {
                throw unsupported("the root disk " + target + " is a network disk over '" + protocol
                        + "'; only rbd network disks can be snapshotted");
            }
            String name = source.flatMap(s -> attribute(s, "name"))
                    .orElseThrow(() -> unsupported("the rbd root disk " + target + " has no source name"));
            int slash = name.indexOf('/');
            if (slash <= 0 || slash == name.length() - 1) {
                throw unsupported("the rbd root disk " + target + " is named '" + name + "', not pool/image");
            }
            Optional<String> user = child(disk, "auth").flatMap(a -> attribute(a, "username"));
            GuestDisk.RbdImageName rbd = new GuestDisk.RbdImageName(name.substring(0, slash), name.substring(slash + 1), user);
            return new GuestDisk(DiskBackend.RBD, "rbd:" + name, driverType.orElse("raw"), target, Optional.of(rbd));
        }

        String attribute = switch (type) {
            case "file" -> "file";
            case "block" -> "dev";
            case "dir" -> "dir";
            default -> throw unsupported("the root disk " + target + " is of type '" + type
                    + "'; only file, block, dir and rbd network disks can be snapshotted");
        };
        String path = source.flatMap(s -> attribute(s, attribute))
                .orElseThrow(() -> unsupported("the root disk " + target + " has no source " + attribute));
        if (!path.startsWith("/")) {
            throw unsupported("the root disk " + target + " has a relative source path '" + path + "'");
        }
        if (path.startsWith("/dev/")) {
            return new GuestDisk(DiskBackend.LVM, path, driverType.orElse("raw"), target, Optional.empty());
        }
        if (probe.isPloopDirectory(Path.of(path))) {
            return new GuestDisk(DiskBackend.PLOOP, path, driverType.orElse("ploop"), target, Optional.empty());
        }
        String format = driverType.orElseThrow(() -> unsupported("the root disk " + target + " (" + path
                + ") has no <driver type>: its format is unknown"));
        return switch (format) {
            case "qcow2" -> new GuestDisk(DiskBackend.QCOW2, path, format, target, Optional.empty());
            case "raw" -> new GuestDisk(DiskBackend.FLAT, path, format, target, Optional.empty());
            default -> throw unsupported("the root disk " + target + " (" + path + ") is in format '" + format
                    + "'; file disks must be raw or qcow2");
        };
    }

    private static Document parse(String xml) throws HypervisorException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            // libvirt never writes a DOCTYPE: refusing one rules out entity tricks altogether
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            factory.setNamespaceAware(true);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(new Strict());
            return builder.parse(new InputSource(new StringReader(xml)));
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser lacks a safety feature", e);
        } catch (SAXException | IOException e) {
            throw new HypervisorException(HypervisorException.UNSUPPORTED_DISK, "the domain XML cannot be read: " + e.getMessage(), e);
        }
    }

    /** Without it the parser prints "[Fatal Error]" to stderr before throwing. */
    private static final class Strict implements ErrorHandler {
        @Override
        public void warning(SAXParseException e) {
        }

        @Override
        public void error(SAXParseException e) throws SAXException {
            throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
            throw e;
        }
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            // libvirt's own elements have no namespace; <metadata> content of others does
            if (n instanceof Element e && e.getNamespaceURI() == null && name.equals(e.getLocalName())) {
                found.add(e);
            }
        }
        return found;
    }

    private static Optional<Element> child(Element parent, String name) {
        List<Element> found = children(parent, name);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    private static Optional<String> attribute(Element e, String name) {
        String value = e.getAttribute(name);
        return value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }

    private static HypervisorException unsupported(String message) {
        return new HypervisorException(HypervisorException.UNSUPPORTED_DISK, message);
    }
}
