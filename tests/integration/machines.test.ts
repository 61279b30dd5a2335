import * as path from "path";
import { TestSandbox } from "../helpers/sandbox";
import { REPO_ROOT } from "../helpers/repo";

// The sandbox's members as real machines (SANDBOX_MACHINES=nspawn): each boots the machine image
// with systemd-nspawn, from its instance's real user data through cloud-init, on a loop-device
// volume, and installs etcd from the sandbox's mirror. Nothing of the node is emulated, so what
// is checked here is what an EC2 instance would show.

const MACHINES = { SANDBOX_MACHINES: "nspawn" };
const onMachines = process.getuid?.() === 0 ? describe : describe.skip;

onMachines("nspawn machines: the dev stack", () => {
    let sandbox: TestSandbox;
    beforeAll(async () => {
        sandbox = await TestSandbox.up("machines", path.join(REPO_ROOT, "Pulumi.dev.yaml"), MACHINES);
    }, 20 * 60_000);
    afterAll(async () => {
        await sandbox?.down();
    }, 120_000);

    const members = () => sandbox.report.members.map((m) => m.name);

    test("every member is healthy and is a machine with a boot id", () => {
        expect(sandbox.report.members).toHaveLength(3);
        for (const m of sandbox.report.members) {
            expect(m.health?.healthy).toBe(true);
            expect(m.machine).toBe(m.name);
            expect(m.bootId).toMatch(/^[0-9a-f-]{36}$/);
        }
        expect(new Set(sandbox.report.members.map((m) => m.bootId)).size).toBe(3);
    });

    test("real systemd is PID 1, cloud-init finished from the NoCloud seed, and nothing failed", async () => {
        for (const name of members()) {
            expect((await sandbox.exec(name, ["cat", "/proc/1/comm"])).stdout.trim()).toBe("systemd");
            const cloudInit = await sandbox.exec(name, ["cloud-init", "status", "--long"]);
            expect(cloudInit.stdout).toMatch(/status: done/);
            expect(cloudInit.stdout).toMatch(/DataSourceNoCloud/);
            const failed = await sandbox.exec(name, ["systemctl", "list-units", "--state=failed", "--no-legend", "--plain"]);
            expect(failed.stdout.trim()).toBe("");
        }
    });

    test("the instance id is the plan's, and the user data cloud-init ran is the gzip EC2 receives", async () => {
        const id = await sandbox.exec("etcd1", ["cloud-init", "query", "instance_id"]);
        expect(id.stdout.trim()).toMatch(/^i-[0-9a-f]{17}$/);
        const raw = await sandbox.exec("etcd1", ["sh", "-c", "head -c 2 /var/lib/cloud/instance/user-data.txt | od -An -tx1"]);
        expect(raw.stdout.trim()).toBe("1f 8b");
    });

    test("etcd.service runs as rendered under systemd: Type=notify, active, as the etcd user, restarts on failure", async () => {
        const show = await sandbox.exec("etcd2", ["systemctl", "show", "etcd.service", "-p", "Type", "-p", "ActiveState", "-p", "User", "-p", "Restart", "-p", "NoNewPrivileges", "-p", "ProtectSystem"]);
        expect(show.stdout).toContain("Type=notify");
        expect(show.stdout).toContain("ActiveState=active");
        expect(show.stdout).toContain("User=etcd");
        expect(show.stdout).toContain("Restart=always");
        expect(show.stdout).toContain("NoNewPrivileges=yes");
        expect(show.stdout).toContain("ProtectSystem=full");
        const owner = await sandbox.exec("etcd2", ["ps", "-o", "user=", "-C", "etcd"]);
        expect(owner.stdout.trim()).toBe("etcd");
    });

    test("the data volume is a real block device: XFS made by etcd-prepare-volume, mounted through fstab", async () => {
        for (const name of members()) {
            const mount = await sandbox.exec(name, ["findmnt", "-n", "-o", "SOURCE,FSTYPE", "/var/lib/etcd"]);
            expect(mount.stdout.trim()).toMatch(/^\/dev\/loop\d+ xfs$/);
            const fstab = await sandbox.exec(name, ["cat", "/etc/fstab"]);
            expect(fstab.stdout).toMatch(/^UUID=[0-9a-f-]+ \/var\/lib\/etcd xfs defaults,nofail/m);
            const device = await sandbox.exec(name, ["sh", "-c", ". /etc/etcd/member.env && test -b \"$DATA_DEVICE\" && echo \"$DATA_DEVICE\""]);
            expect(device.stdout.trim()).toMatch(/^\/dev\/disk\/by-id\/nvme-Amazon_Elastic_Block_Store_vol[0-9a-f]+$/);
        }
    });

    test("etcd-install downloaded the release from the mirror over HTTPS and checked its sha256", async () => {
        const log = await sandbox.exec("etcd3", ["cat", "/var/log/cloud-init-output.log"]);
        expect(log.stdout).toMatch(/etcd-install: downloading https:\/\/169\.254\.77\.1:8443\/v[\d.]+\/etcd-v[\d.]+-linux-(arm64|amd64)\.tar\.gz/);
        expect(log.stdout).toMatch(/etcd-install: installed etcd [\d.]+ into \/usr\/local\/bin/);
        const version = await sandbox.exec("etcd3", ["/usr/local/bin/etcd", "--version"]);
        expect(version.stdout).toContain(`etcd Version: ${sandbox.report.etcdVersion}`);
    });

    test("the timers are scheduled by systemd itself", async () => {
        const timers = await sandbox.exec("etcd1", ["systemctl", "list-timers", "--all", "--no-legend", "--plain"]);
        for (const timer of ["etcd-backup.timer", "etcd-backup-metrics.timer", "etcd-defrag.timer", "etcd-cert-sync.timer"]) expect(timers.stdout).toContain(timer);
    });

    test("a write through one member is read through another, with the admin certificate", async () => {
        const [a, b] = sandbox.report.members;
        expect((await sandbox.etcdctl(["put", "/machines/probe", "booted"], { endpoints: [a.clientUrl] })).code).toBe(0);
        const read = await sandbox.etcdctl(["get", "/machines/probe", "--print-value-only", "--consistency=l"], { endpoints: [b.clientUrl] });
        expect(read.stdout.trim()).toBe("booted");
    });

    test("exec exits with the command's status", async () => {
        expect((await sandbox.exec("etcd1", ["sh", "-c", "exit 7"])).code).toBe(7);
        expect((await sandbox.exec("etcd1", ["true"])).code).toBe(0);
    });
});
