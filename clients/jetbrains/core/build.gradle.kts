// The plain-Java core. npm test compiles and runs it with javac and Debian's JUnit 5 and Gson
// (test/jetbrains); this build is the same for the plugin.
plugins {
    `java-library`
}

repositories {
    mavenCentral()
}

dependencies {
    // The IDE provides Gson at run time (the same one lsp4j uses for the payloads).
    compileOnly("com.google.code.gson:gson:2.10.1")
    testImplementation("com.google.code.gson:gson:2.10.1")
    testImplementation(platform("org.junit:junit-bom:5.9.2"))
    testImplementation("org.junit.jupiter:junit-jupiter")
    testRuntimeOnly("org.junit.platform:junit-platform-launcher")
}

tasks.withType<JavaCompile>().configureEach {
    options.release.set(17)
    options.encoding = "UTF-8"
}

tasks.test {
    // The integration test needs the stand-ins that test/jetbrains starts: `npm test` runs it.
    useJUnitPlatform { excludeTags("integration") }
}
