// Builds the plugin zip: ./gradlew buildPlugin → build/distributions/tandem-jetbrains-<version>.zip.
// The server comes from the repository's dist/: run `npm ci && npm run package` at the root first.
plugins {
    java
    id("org.jetbrains.intellij.platform") version "2.18.1"
}

group = "dev.tandem"
version = "0.1.0"

repositories {
    mavenCentral()
    intellijPlatform {
        defaultRepositories()
    }
}

dependencies {
    intellijPlatform {
        intellijIdeaCommunity("2024.2.6")
        plugin("com.redhat.devtools.lsp4ij", "0.20.1")
    }
    // lsp4j and Gson come from LSP4IJ and the platform; bundling them breaks class identity.
    implementation(project(":core"))
}

java {
    toolchain {
        languageVersion = JavaLanguageVersion.of(21)
    }
}

tasks.withType<JavaCompile>().configureEach {
    options.release.set(17)
    options.encoding = "UTF-8"
}

intellijPlatform {
    pluginConfiguration {
        ideaVersion {
            sinceBuild = "242"
            untilBuild = provider { null }
        }
    }
}

tasks {
    prepareSandbox {
        val serverDist = layout.projectDirectory.dir("../../dist")
        // A plain File, so the check keeps no reference to the script (configuration cache).
        val distDir = serverDist.asFile
        doFirst {
            val built = distDir.resolve("tandem.js").exists() && distDir.resolve("node_modules").exists()
            require(built) { "The server is not built: run `npm ci && npm run package` at the repository root first." }
        }
        // <plugin>/server/tandem.js, found at run time next to <plugin>/lib (ServerCommand.bundledServer).
        from(serverDist) {
            exclude("vscode/**", "bench/**", "**/*.map")
            into(pluginName.map { "$it/server" })
        }
    }
}
