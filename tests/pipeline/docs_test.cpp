// docs/config.md is generated from the specs; this fails when they drift apart.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "pipeline/config.h"
#include "pipeline/schema.h"

namespace edgenode::pipeline {
namespace {

TEST(Docs, CommittedReferenceMatchesTheSpecs) {
  std::ifstream in(std::string(EDGENODE_SOURCE_DIR) + "/docs/config.md");
  ASSERT_TRUE(in) << "docs/config.md is missing";
  std::ostringstream committed;
  committed << in.rdbuf();
  EXPECT_TRUE(committed.str() == markdown_reference(config_spec()))
      << "docs/config.md is out of date: regenerate it with `edgenode schema --markdown > docs/config.md`";
}

TEST(Docs, SchemaDescribesEveryTopLevelSection) {
  const auto schema = json_schema(config_spec());
  EXPECT_EQ(schema["$schema"], "http://json-schema.org/draft-07/schema#");
  EXPECT_EQ(schema["required"], (nlohmann::json{"node", "pipelines"}));
  const auto& pipeline = schema["properties"]["pipelines"]["items"];
  EXPECT_EQ(pipeline["properties"]["queue"]["properties"]["on_full"]["enum"],
            (nlohmann::json{"block", "drop_oldest", "deadletter"}));
  EXPECT_EQ(schema["properties"]["node"]["properties"]["telemetry"]["properties"]["interval"]["default"], "10s");
  EXPECT_TRUE(schema["properties"]["node"]["properties"]["bus"]["properties"]["mqtt"]["properties"].contains("password_file"));
  EXPECT_EQ(pipeline["additionalProperties"], false);
}

}  // namespace
}  // namespace edgenode::pipeline
