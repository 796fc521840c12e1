//! Task names as ansible-playbook shows them in `TASK [...]` banners: templated with
//! the variables of the first host that runs the task. An expression that cannot be
//! rendered (an undefined variable, `item` before the loop) shows in place as
//! `<< error N - MESSAGE >>`, as ansible-core 2.19 prints it.

use drover_template::{py_str, Templar, Vars};

pub fn render(templar: &Templar, name: &str, vars: &dyn Vars) -> String {
    if !Templar::is_template(name) {
        return name.to_string();
    }
    if let Ok(v) = templar.render(name, vars) {
        return py_str(&v);
    }
    // Render expression by expression, so that only the failing ones are replaced.
    let mut out = String::new();
    let mut rest = name;
    let mut errors = 0;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let expr = &rest[start..start + len + 2];
        match templar.render(expr, vars) {
            Ok(v) => out.push_str(&py_str(&v)),
            Err(e) => {
                errors += 1;
                out.push_str(&format!("<< error {errors} - {} >>", e.message));
            }
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    fn vars() -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("pkg".into(), json!("nginx"));
        m.insert("n".into(), json!(3));
        m
    }

    #[test]
    fn names_render_with_host_vars() {
        let t = Templar::new();
        assert_eq!(render(&t, "install {{ pkg }}", &vars()), "install nginx");
        assert_eq!(render(&t, "{{ n }} copies", &vars()), "3 copies");
        assert_eq!(render(&t, "plain", &vars()), "plain");
    }

    #[test]
    fn failing_expressions_show_as_errors_in_place() {
        let t = Templar::new();
        assert_eq!(
            render(&t, "undefined {{ nope }} and {{ pkg }}", &vars()),
            "undefined << error 1 - 'nope' is undefined >> and nginx"
        );
    }
}
