package io.snapshotagent.ceph;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RbdLocationTest {

    private static final String FSID = "b61e4fff-83b0-4d98-846f-5615816c0cce";

    @Test
    void writesAndReadsGlanceStoresForm() {
        RbdLocation location = new RbdLocation(FSID, "images", "0c8a1b46-5b0f-4a48-a0a2-7f0d1c6b2a10", "snap");
        assertEquals("rbd://" + FSID + "/images/0c8a1b46-5b0f-4a48-a0a2-7f0d1c6b2a10/snap", location.url());
        assertEquals(location, RbdLocation.parse(location.url()));
    }

    @Test
    void partsAreUnquotedAsPythonsUnquoteDoesWithoutTurningPlusIntoSpace() {
        assertEquals(new RbdLocation(FSID, "my pool", "a+b", "s/1"), RbdLocation.parse("rbd://" + FSID + "/my%20pool/a+b/s%2F1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "http://host/images/x/snap",
            "rbd://fsid/images/x",
            "rbd://fsid/images/x/snap/extra",
            "rbd://fsid//x/snap",
            "rbd://fsid/images/x/",
            "rbd://"})
    void anythingButFourNonEmptyPartsIsRefused(String url) {
        assertThrows(IllegalArgumentException.class, () -> RbdLocation.parse(url));
    }

    @Test
    void aLocationNeedsAllParts() {
        assertThrows(IllegalArgumentException.class, () -> new RbdLocation(FSID, "images", "", "snap"));
    }
}
