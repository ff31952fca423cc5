// domain/awsData.ts: AWS regions and EC2 instance types as data read from the pinned @pulumi/aws,
// and the rules that classify an instance type for the sync host.
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
// The partition table the AWS SDK itself uses (a dependency of @aws-sdk/client-s3).
import { partition } from "@aws-sdk/core/client";
import {
  AWS_REGIONS,
  INSTANCE_TYPES,
  awsPartitionOf,
  instanceFamily,
  instanceTypeInfo,
} from "../../domain/awsData";
import { PULUMI_AWS_VERSION } from "../../domain/data/awsEnums";
import { AWS_ENUMS_FILE, renderAwsEnums } from "../../scripts/gen-aws-data";

const DOMAIN_DIR = path.join(__dirname, "..", "..", "domain");

function isSortedUnique(values: readonly string[]): boolean {
  return values.every((v, i) => i === 0 || values[i - 1] < v);
}

/** Every .ts file under dir, recursively. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? tsFiles(path.join(dir, e.name))
      : e.name.endsWith(".ts")
        ? [path.join(dir, e.name)]
        : [],
  );
}

/** Module specifiers of import/export-from/require/dynamic import statements in a source text. */
function importedModules(source: string): string[] {
  const re =
    /(?:\bimport\s+(?:type\s+)?(?:[^"';]*?\bfrom\s+)?|\bexport\s+[^"';]*?\bfrom\s+|\brequire\s*\(\s*|\bimport\s*\(\s*)["']([^"']+)["']/g;
  return [...source.matchAll(re)].map((m) => m[1]);
}

function architecture(type: string): string {
  const info = instanceTypeInfo(type);
  if ("problem" in info) throw new Error(`${type}: ${info.problem}`);
  return info.architecture;
}

function problem(type: string): string {
  const info = instanceTypeInfo(type);
  if (!("problem" in info)) throw new Error(`${type} has no problem (${info.architecture})`);
  return info.problem;
}

describe("domain/awsData", () => {
  describe("data from the pinned @pulumi/aws", () => {
    it("tables are sorted and unique", () => {
      expect(isSortedUnique(AWS_REGIONS), "AWS_REGIONS").to.equal(true);
      expect(isSortedUnique(INSTANCE_TYPES), "INSTANCE_TYPES").to.equal(true);
      expect(isSortedUnique(["b", "a"]), "the check itself").to.equal(false);
      expect(isSortedUnique(["a", "a"]), "the check itself").to.equal(false);
    });

    it("AWS_REGIONS is exactly @pulumi/aws's Region enum", () => {
      const fromPulumi = [...new Set(Object.values(aws.types.enums.Region))].sort();
      expect(AWS_REGIONS).to.deep.equal(fromPulumi);
      expect(AWS_REGIONS).to.include.members(["eu-west-1", "us-east-1", "cn-north-1"]);
    });

    it("INSTANCE_TYPES is exactly @pulumi/aws's ec2.InstanceType enum", () => {
      const fromPulumi = [...new Set(Object.values(aws.types.enums.ec2.InstanceType))].sort();
      expect(INSTANCE_TYPES).to.deep.equal(fromPulumi);
      expect(INSTANCE_TYPES.length).to.be.greaterThan(1000);
    });

    it("was generated from the installed @pulumi/aws, which is the version package.json pins", () => {
      const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
        dependencies: Record<string, string>;
      };
      const installed = (
        JSON.parse(readFileSync(require.resolve("@pulumi/aws/package.json"), "utf8")) as {
          version: string;
        }
      ).version;
      expect(PULUMI_AWS_VERSION).to.equal(installed);
      expect(PULUMI_AWS_VERSION).to.equal(pkg.dependencies["@pulumi/aws"]);
    });

    it("domain/data/awsEnums.ts is what scripts/gen-aws-data.ts writes (run it with --write)", () => {
      expect(readFileSync(AWS_ENUMS_FILE, "utf8")).to.equal(renderAwsEnums());
    });
  });

  describe("domain/ has no Pulumi imports", () => {
    it("the import scanner finds every import form", () => {
      const sample = [
        'import * as pulumi from "@pulumi/pulumi";',
        "import type { Input } from '@pulumi/pulumi';",
        'import { x,\n  y } from "@pulumi/aws";',
        'export { z } from "@pulumi/random";',
        'const a = require("@pulumi/azure-native");',
        'const b = await import("@pulumi/aws/types/enums");',
        'import "./side-effect";',
      ].join("\n");
      expect(importedModules(sample)).to.deep.equal([
        "@pulumi/pulumi",
        "@pulumi/pulumi",
        "@pulumi/aws",
        "@pulumi/random",
        "@pulumi/azure-native",
        "@pulumi/aws/types/enums",
        "./side-effect",
      ]);
    });

    it("no file under domain/ imports @pulumi/*", () => {
      const files = tsFiles(DOMAIN_DIR);
      expect(files.map((f) => path.relative(DOMAIN_DIR, f))).to.include.members([
        "awsData.ts",
        "azureRegions.ts",
        path.join("data", "awsEnums.ts"),
      ]);
      const offenders = files.flatMap((f) =>
        importedModules(readFileSync(f, "utf8"))
          .filter((m) => m.startsWith("@pulumi/"))
          .map((m) => `${path.relative(DOMAIN_DIR, f)} imports ${m}`),
      );
      expect(offenders).to.deep.equal([]);
    });
  });

  describe("awsPartitionOf", () => {
    it("maps regions to partitions by prefix", () => {
      expect(awsPartitionOf("eu-west-1")).to.equal("aws");
      expect(awsPartitionOf("us-east-1")).to.equal("aws");
      expect(awsPartitionOf("cn-north-1")).to.equal("aws-cn");
      expect(awsPartitionOf("us-gov-west-1")).to.equal("aws-us-gov");
      expect(awsPartitionOf("us-iso-east-1")).to.equal("aws-iso");
      expect(awsPartitionOf("us-isob-east-1")).to.equal("aws-iso-b");
      expect(awsPartitionOf("eu-isoe-west-1")).to.equal("aws-iso-e");
      expect(awsPartitionOf("us-isof-south-1")).to.equal("aws-iso-f");
      expect(awsPartitionOf("eusc-de-east-1")).to.equal("aws-eusc");
    });

    it("answers by prefix for names the table does not hold (the config rejects those first)", () => {
      expect(awsPartitionOf("eu-west-9")).to.equal("aws");
      expect(awsPartitionOf("cn-north-9")).to.equal("aws-cn");
      expect(awsPartitionOf("us-gov-east-9")).to.equal("aws-us-gov");
      expect(awsPartitionOf("")).to.equal("aws");
    });

    it("agrees with the AWS SDK's partition table for every region", () => {
      for (const region of AWS_REGIONS)
        expect(awsPartitionOf(region), region).to.equal(partition(region).name);
    });

    it("every partition has at least one region in the table", () => {
      expect([...new Set(AWS_REGIONS.map(awsPartitionOf))].sort()).to.deep.equal([
        "aws",
        "aws-cn",
        "aws-eusc",
        "aws-iso",
        "aws-iso-b",
        "aws-iso-e",
        "aws-iso-f",
        "aws-us-gov",
      ]);
    });
  });

  describe("instanceTypeInfo", () => {
    it("classifies Graviton and Grace types as arm64", () => {
      for (const t of [
        "t4g.micro",
        "g5g.xlarge",
        "c7gn.large",
        "a1.medium",
        "m6gd.large",
        "x2gd.large",
        "im4gn.large",
        "is4gen.large",
        "i4g.large",
        "hpc7g.16xlarge",
        "r8g.large",
      ])
        expect(architecture(t), t).to.equal("arm64");
      // p6e-gb200 (Grace, arm64) exists but cannot be launched on demand: rejected below.
      const grace = INSTANCE_TYPES.find((t) => t.startsWith("p6e-gb200."));
      expect(grace, "a p6e-gb200 type in the enum").to.be.a("string");
      expect(problem(grace!)).to.match(/Capacity Blocks/);
    });

    it("classifies x86 types, including GPU families that merely start with g, as x86_64", () => {
      for (const t of [
        "t3.micro",
        "t2.micro",
        "g5.xlarge",
        "g4dn.xlarge",
        "g4ad.xlarge",
        "gr6.4xlarge",
        "p5.48xlarge",
        "inf1.xlarge",
        "inf2.xlarge",
        "trn1.2xlarge",
        "m7i-flex.large",
        "c3.large",
        "u-6tb1.56xlarge",
      ])
        expect(architecture(t), t).to.equal("x86_64");
    });

    it("pins the arm64 families (review this list when @pulumi/aws adds families)", () => {
      const families = [...new Set(INSTANCE_TYPES.map(instanceFamily))];
      const arm = families.filter((f) => {
        const t = INSTANCE_TYPES.find((type) => instanceFamily(type) === f)!;
        const info = instanceTypeInfo(t);
        return "architecture" in info && info.architecture === "arm64";
      });
      expect(arm.sort()).to.deep.equal(
        (
          "a1 c6g c6gd c6gn c7g c7gd c7gn c8g c8gb c8gd c8gn c9g c9gd g5g hpc7g i4g i8g i8ge im4gn " +
          "is4gen m6g m6gd m7g m7gd m8g m8gb m8gd m8gn m9g m9gd r6g r6gd r7g r7gd r8g " +
          "r8gb r8gd r8gn t4g x2gd x8g"
        ).split(" "),
      );
    });

    it("rejects a name that is not in the enum", () => {
      for (const t of ["t4g.mega", "t4g", "T4G.MICRO", "", "t4g.micro "])
        expect(problem(t), JSON.stringify(t)).to.equal(
          "is not an EC2 instance type known to @pulumi/aws 7.48 (e.g. t4g.micro)",
        );
    });

    it("rejects Mac types: Dedicated Hosts and macOS AMIs only", () => {
      const macs = INSTANCE_TYPES.filter((t) => t.startsWith("mac"));
      expect(macs).to.include.members(["mac1.metal", "mac2.metal", "mac2-m2pro.metal"]);
      for (const t of macs) expect(problem(t), t).to.match(/Dedicated Hosts.*macOS AMIs/);
    });

    it("rejects paravirtual-only and retired first-generation families", () => {
      for (const t of ["m1.small", "t1.micro", "m2.xlarge", "c1.medium"])
        expect(problem(t), t).to.match(/paravirtual/);
      for (const t of [
        "cc1.4xlarge",
        "cc2.8xlarge",
        "cg1.4xlarge",
        "cr1.8xlarge",
        "hi1.4xlarge",
        "hs1.8xlarge",
      ])
        expect(problem(t), t).to.match(/retired first-generation/);
      // later previous-generation families still boot HVM AMIs
      for (const t of ["m3.medium", "c3.large", "r3.large", "i2.xlarge"])
        expect(architecture(t), t).to.equal("x86_64");
    });

    it("rejects High Memory bare metal (Dedicated Hosts) but not its virtualized sizes", () => {
      const metal = INSTANCE_TYPES.filter((t) => /^u-\d+tb\d+\.metal$/.test(t));
      expect(metal.length).to.be.above(0);
      for (const t of metal) expect(problem(t), t).to.match(/Dedicated Hosts/);
      expect(architecture("u-6tb1.56xlarge")).to.equal("x86_64");
    });

    it("only Mac, paravirtual-only, retired, Dedicated-Host-only and Capacity-Block types have problems", () => {
      const rejected = [
        ...new Set(
          INSTANCE_TYPES.filter((t) => "problem" in instanceTypeInfo(t)).map(instanceFamily),
        ),
      ].sort();
      expect(rejected.filter((f) => !f.startsWith("mac") && !/^u-\d+tb\d+$/.test(f))).to.deep.equal(
        "c1 cc1 cc2 cg1 cr1 hi1 hs1 m1 m2 p6e-gb200 t1".split(" "),
      );
    });
  });
});
